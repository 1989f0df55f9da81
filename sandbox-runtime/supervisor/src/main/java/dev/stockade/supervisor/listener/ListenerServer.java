package dev.stockade.supervisor.listener;

import dev.stockade.supervisor.linux.Errno;
import dev.stockade.supervisor.linux.Libc;
import dev.stockade.supervisor.linux.SocketLoop;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * Accepts runc's (or crun's) connections on {@code linux.seccomp.listenerPath}: one message with
 * the container's notify fd and its state, then the connection closes. Each accepted container
 * goes to the {@link Registrar}.
 */
public final class ListenerServer implements Runnable {

    private static final System.Logger LOG = System.getLogger(ListenerServer.class.getName());
    private static final int READ_TIMEOUT_MILLIS = 5000;
    private static final int PIECE_BYTES = 256 * 1024;

    public interface Registrar {
        /** Takes ownership of {@code notifyFd}. */
        void register(int notifyFd, byte[] stateMessage);
    }

    private final int listenFd;
    private final Registrar registrar;
    private volatile boolean stopping;
    private Thread thread;

    public ListenerServer(int listenFd, Registrar registrar) {
        this.listenFd = listenFd;
        this.registrar = registrar;
    }

    public int listenFd() {
        return listenFd;
    }

    public synchronized void start() {
        stopping = false;
        thread = Thread.ofPlatform().name("listener").daemon().start(this);
    }

    /** Stops accepting; the listening socket stays open (for the successor). */
    public void stop() throws InterruptedException {
        stopping = true;
        Thread running;
        synchronized (this) {
            running = thread;
        }
        if (running != null) {
            running.join();
        }
    }

    @Override
    public void run() {
        while (!stopping) {
            try {
                if (!SocketLoop.readable(listenFd, 200)) {
                    continue;
                }
                int connection = Libc.accept(listenFd);
                try {
                    receive(connection);
                } finally {
                    Libc.close(connection);
                }
            } catch (Errno e) {
                if (e.errno() != Errno.EAGAIN && e.errno() != Errno.EINTR) {
                    LOG.log(Level.ERROR, "listener socket: " + e.getMessage());
                }
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "listener socket: " + e, e);
            }
        }
    }

    private void receive(int connection) throws Errno {
        ListenerMessages.Reader message = new ListenerMessages.Reader();
        List<Integer> fds = new ArrayList<>();
        try {
            while (true) {
                if (!SocketLoop.readable(connection, READ_TIMEOUT_MILLIS)) {
                    LOG.log(Level.ERROR, "a listener client sent no complete message within " + READ_TIMEOUT_MILLIS + " ms; dropped");
                    fds.forEach(Libc::close);
                    return;
                }
                Libc.Message piece = Libc.receive(connection, PIECE_BYTES, 4);
                if (piece.endOfStream()) {
                    break;
                }
                for (int fd : piece.fds()) {
                    fds.add(fd);
                }
                // runc does not always close its end right away (the fd is duplicated into its children).
                if (message.feed(piece.data()) && fds.size() == 1) {
                    break;
                }
            }
        } catch (ListenerMessages.BadMessage e) {
            LOG.log(Level.ERROR, e.getMessage() + "; dropped");
            fds.forEach(Libc::close);
            return;
        }
        if (fds.isEmpty() && message.size() == 0) {
            // The runtime's "is the supervisor up?" probe: connect, then close.
            return;
        }
        if (fds.size() != 1) {
            LOG.log(Level.ERROR, "a listener message carried " + fds.size() + " descriptors instead of one seccomp fd; dropped");
            fds.forEach(Libc::close);
            return;
        }
        registrar.register(fds.getFirst(), message.message());
    }
}
