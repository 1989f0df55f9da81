package dev.stockade.api.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * How the node's resident processes (the seccomp supervisor, the spec server) hand their Prometheus
 * series to the installer, which alone serves them off the node, behind authentication: the pool's
 * own pods must not read other tenants' pod names and escape attempts.
 *
 * <p>Each process listens on a unix socket in {@link #DIRECTORY}, a root-only directory of the
 * host. A client connects and reads the text exposition format (Prometheus 0.0.4) until end of
 * file; the process writes it and closes. There is no TCP port, so nothing in the host's network
 * namespace can reach it, and a pod without the host's {@code /run} cannot either.
 */
public final class NodeMetrics {

    public static final String DIRECTORY = HostLayout.STATE_DIR + "/metrics";
    public static final String SUPERVISOR_SOCKET = DIRECTORY + "/supervisor.sock";
    public static final String SPEC_SERVER_SOCKET = DIRECTORY + "/spec-server.sock";
    /** Larger answers are refused: a wedged or hostile writer cannot make the reader buffer without end. */
    static final int MAX_BYTES = 16 << 20;

    /** A socket being served; closing it stops serving and removes the socket unless a successor replaced it. */
    public interface Endpoint extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Serves {@code render} on {@code socket}, creating its directory root-only (0700). The socket is
     * bound beside and renamed into place, so a successor (a supervisor taking over) replaces a
     * running one without a moment in which nothing answers.
     *
     * @throws IOException when the directory is not this user's alone, or the socket cannot be bound
     */
    public static Endpoint serve(Path socket, Supplier<String> render) throws IOException {
        Path directory = socket.getParent();
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        checkPrivate(directory);
        Path beside = socket.resolveSibling(socket.getFileName() + "." + ProcessHandle.current().pid());
        Files.deleteIfExists(beside);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(beside));
            Files.setPosixFilePermissions(beside, PosixFilePermissions.fromString("rw-------"));
            Files.move(beside, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            server.close();
            Files.deleteIfExists(beside);
            throw e;
        }
        Object identity = fileKey(socket);
        Thread.ofPlatform().name("metrics-" + socket.getFileName()).daemon().start(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel client = server.accept();
                    Thread.ofVirtual().start(() -> answer(client, render));
                } catch (IOException e) {
                    // Closed: serving ends.
                }
            }
        });
        return () -> {
            try {
                server.close();
                if (identity != null && identity.equals(fileKey(socket))) {
                    Files.deleteIfExists(socket);
                }
            } catch (IOException e) {
                // Nothing to do: the next process replaces the socket anyway.
            }
        };
    }

    /**
     * Reads what the process on {@code socket} serves.
     *
     * @return the exposition text, or empty when nothing listens there, the answer takes longer than
     *     {@code timeout}, or it exceeds 16 MiB
     */
    public static Optional<String> read(Path socket, Duration timeout) {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // A unix SocketChannel has no read timeout: closing it from another thread ends a blocked read.
            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(timeout);
                    channel.close();
                } catch (InterruptedException | IOException e) {
                    // Answered in time.
                }
            });
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
                InputStream in = Channels.newInputStream(channel);
                byte[] bytes = in.readNBytes(MAX_BYTES + 1);
                return bytes.length > MAX_BYTES ? Optional.empty() : Optional.of(new String(bytes, StandardCharsets.UTF_8));
            } finally {
                watchdog.interrupt();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A label value in the text format: backslash, double quote and newline escaped. */
    public static String escapeLabelValue(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** The {@code # HELP} and {@code # TYPE} lines that precede a metric's samples. */
    public static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void answer(SocketChannel client, Supplier<String> render) {
        try (client; OutputStream out = Channels.newOutputStream(client)) {
            out.write(render.get().getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            // The reader left or rendering failed: it sees a short answer or none, and counts the process as down.
        }
    }

    private static void checkPrivate(Path directory) throws IOException {
        Object owner = Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Object self = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int mode = (Integer) Files.getAttribute(directory, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if (Files.isSymbolicLink(directory) || !Objects.equals(owner, self) || (mode & 0077) != 0) {
            throw new IOException(directory + " must be a directory owned by uid " + self + " with mode 0700 (it is uid " + owner
                    + ", mode " + Integer.toOctalString(mode & 07777) + "); remove it and start again");
        }
    }

    private static Object fileKey(Path socket) throws IOException {
        return Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    private NodeMetrics() {
    }
}
