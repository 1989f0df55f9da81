package dev.stockade.supervisor.handover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.supervisor.linux.Errno;
import dev.stockade.supervisor.linux.Libc;
import dev.stockade.supervisor.linux.SocketLoop;
import dev.stockade.supervisor.listener.SandboxContainer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Restart without dropping a sandbox: the new supervisor connects to the running one's handover
 * socket (SOCK_SEQPACKET), which stops answering, sends its listening socket and every
 * container's notify fd with SCM_RIGHTS (one message each), and exits once the new one has
 * acknowledged. Notified calls made meanwhile simply wait in the kernel. If the new process dies
 * before its acknowledgement, the old one resumes with the fds it still holds.
 */
public final class Handover {

    static final ObjectMapper JSON = JsonMapper.builder().build();
    static final int ACK_TIMEOUT_MILLIS = 10_000;

    /** A container handed over: its notify fd and who it is. */
    public record HandedContainer(int notifyFd, SandboxContainer container) {
    }

    /**
     * What the new supervisor received; {@code connection} stays open until {@link #acknowledge}
     * (-1 on the giving side), so that the old supervisor resumes if the new one dies first.
     */
    public record Inherited(int listenFd, List<HandedContainer> containers, int connection) {
    }

    /** What the running supervisor hands over. */
    public interface Giver {
        /** Stops answering and returns the listening socket and the live channels' fds. */
        Inherited pause() throws InterruptedException;

        /** The successor did not take over: answer again. */
        void resume();

        /** The successor owns everything now. */
        void handedOver();
    }

    /**
     * Takes over from the supervisor listening on {@code handoverPath}, or returns null when none
     * is running there. Fails when one is running but the handover breaks off. The caller starts
     * answering, then calls {@link #acknowledge}; until then the old supervisor waits.
     */
    public static Inherited takeOver(String handoverPath) throws IOException {
        int socket;
        try {
            socket = Libc.socket(Libc.SOCK_SEQPACKET);
        } catch (Errno e) {
            throw new IOException("cannot create the handover socket: " + e.getMessage(), e);
        }
        try {
            try {
                Libc.connect(socket, handoverPath);
            } catch (Errno e) {
                return null;
            }
            Libc.send(socket, message("request").toString().getBytes());
            int listenFd = -1;
            List<HandedContainer> containers = new ArrayList<>();
            while (true) {
                if (!SocketLoop.readable(socket, ACK_TIMEOUT_MILLIS)) {
                    throw new IOException("the running supervisor stopped sending during the handover on " + handoverPath);
                }
                Libc.Message received = Libc.receive(socket, 1 << 20, 1);
                if (received.endOfStream()) {
                    throw new IOException("the running supervisor closed the handover on " + handoverPath + " before it finished");
                }
                JsonNode node = JSON.readTree(received.data());
                String kind = node.path("kind").asText();
                if (kind.equals("done")) {
                    break;
                }
                if (received.fds().length != 1) {
                    throw new IOException("handover message " + kind + " came without its descriptor");
                }
                if (kind.equals("listener")) {
                    listenFd = received.fds()[0];
                } else if (kind.equals("container")) {
                    containers.add(new HandedContainer(received.fds()[0],
                            JSON.treeToValue(node.get("container"), SandboxContainer.class)));
                } else {
                    throw new IOException("unknown handover message " + kind);
                }
            }
            if (listenFd < 0) {
                throw new IOException("the running supervisor handed over no listening socket");
            }
            Inherited inherited = new Inherited(listenFd, containers, socket);
            socket = -1;
            return inherited;
        } catch (Errno e) {
            throw new IOException("handover from " + handoverPath + " failed: " + e.getMessage(), e);
        } finally {
            Libc.close(socket);
        }
    }

    /** Tells the old supervisor that this one answers now; it exits. */
    public static void acknowledge(Inherited inherited) throws IOException {
        try {
            Libc.send(inherited.connection(), message("ack").toString().getBytes());
        } catch (Errno e) {
            throw new IOException("cannot acknowledge the handover: " + e.getMessage(), e);
        } finally {
            Libc.close(inherited.connection());
        }
    }

    /** Serves one handover request on an accepted connection. Returns whether the successor took over. */
    public static boolean give(int connection, Giver giver) throws InterruptedException {
        try {
            if (!SocketLoop.readable(connection, ACK_TIMEOUT_MILLIS)
                    || !"request".equals(JSON.readTree(Libc.receive(connection, 4096, 0).data()).path("kind").asText())) {
                return false;
            }
        } catch (Errno | IOException e) {
            return false;
        }
        Inherited paused = giver.pause();
        try {
            Libc.send(connection, message("listener").toString().getBytes(), paused.listenFd());
            for (HandedContainer handed : paused.containers()) {
                ObjectNode node = message("container");
                node.set("container", JSON.valueToTree(handed.container()));
                Libc.send(connection, node.toString().getBytes(), handed.notifyFd());
            }
            Libc.send(connection, message("done").toString().getBytes());
            if (SocketLoop.readable(connection, ACK_TIMEOUT_MILLIS)
                    && "ack".equals(JSON.readTree(Libc.receive(connection, 4096, 0).data()).path("kind").asText())) {
                giver.handedOver();
                return true;
            }
        } catch (Errno | IOException e) {
            // The successor went away mid-way; we still hold every fd.
        }
        giver.resume();
        return false;
    }

    private static ObjectNode message(String kind) {
        return JSON.createObjectNode().put("kind", kind);
    }

    private Handover() {
    }
}
