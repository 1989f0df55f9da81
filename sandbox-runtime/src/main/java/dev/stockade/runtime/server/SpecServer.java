package dev.stockade.runtime.server;

import dev.stockade.api.node.HostLayout;
import dev.stockade.api.node.NodeMetrics;
import dev.stockade.runtime.SandboxRuntime;
import dev.stockade.runtime.cli.RuncCommandLine;
import dev.stockade.runtime.host.LinuxHostView;
import dev.stockade.runtime.json.JsonTrees;
import dev.stockade.runtime.spec.HostView;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The resident spec server: the same check and hardening as the per-create JVM, in a JVM that is
 * already running and warm, so that {@code create} costs a few milliseconds instead of a JVM
 * start. The launcher talks to it through FIFOs in a root-only directory ({@link HostLayout#SPEC_SERVER_DIR};
 * a POSIX shell can use a FIFO, not a unix socket): it writes its pid to {@code requests} and reads
 * the answer from its own {@code <pid>.reply}. The answer is the status the per-create JVM would exit with, then what it
 * would print on stderr. Whenever the server is missing, stale or slow, the launcher runs the JVM
 * itself: the server makes creates faster, never less checked.
 */
public final class SpecServer {

    /**
     * How long bin/stockade-runtime waits for an answer before it runs its own JVM ({@code timeout 10}
     * there); after it, the server stops waiting for the launcher to read.
     */
    public static final Duration LAUNCHER_TIMEOUT = Duration.ofSeconds(10);
    /**
     * The heap requests may take at once, of the server's 32 MiB (-Xmx32m in bin/stockade-spec-server;
     * the server itself holds a few). A request reserves what its spec can take as a JSON tree at
     * worst before it is read, so no spec, and no crowd of them, can run the server out of memory.
     */
    static final long REQUEST_HEAP_BYTES = 16L << 20;
    /** What one byte of spec can take at worst: 52 in the tree (measured for nested one-element arrays), its text, the rewritten copy. */
    static final long HEAP_BYTES_PER_SPEC_BYTE = 56;
    /** How long a request waits for heap before the launcher is told to use its own JVM. */
    static final Duration HEAP_WAIT = Duration.ofSeconds(5);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final Path directory;
    private final HostView host;
    private final Path metricsSocket;
    private final LongAdder allowed = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder fallback = new LongAdder();
    /** The request heap in KiB. */
    private final Semaphore requestHeap = new Semaphore((int) (REQUEST_HEAP_BYTES >> 10), true);

    public SpecServer(Path directory, HostView host) {
        this(directory, host, Path.of(NodeMetrics.SPEC_SERVER_SOCKET));
    }

    /** {@code metricsSocket}: where the installer reads {@link #metrics()}, or null for none. */
    public SpecServer(Path directory, HostView host, Path metricsSocket) {
        this.directory = directory;
        this.host = host;
        this.metricsSocket = metricsSocket;
    }

    /**
     * The requests answered, by result, in the Prometheus text format: {@code allowed} (checked and
     * hardened), {@code refused} (the profile refused the container), {@code fallback} (not served;
     * the launcher ran its own JVM, which still checks). Refusals on that slow path are not counted here.
     */
    public String metrics() {
        StringBuilder out = new StringBuilder();
        NodeMetrics.header(out, "stockade_spec_server_requests_total", "counter",
                "Container creates the resident spec server answered, by result.");
        return out + "stockade_spec_server_requests_total{result=\"allowed\"} " + allowed.sum() + "\n"
                + "stockade_spec_server_requests_total{result=\"refused\"} " + refused.sum() + "\n"
                + "stockade_spec_server_requests_total{result=\"fallback\"} " + fallback.sum() + "\n";
    }

    public static void main(String[] args) {
        Path directory = Path.of(HostLayout.SPEC_SERVER_DIR);
        Path metricsSocket = Path.of(NodeMetrics.SPEC_SERVER_SOCKET);
        for (int index = 0; index < args.length; index++) {
            if (args[index].equals("--dir") && index + 1 < args.length) {
                directory = Path.of(args[++index]);
            } else if (args[index].equals("--metrics-socket") && index + 1 < args.length) {
                String value = args[++index];
                metricsSocket = value.equals("off") ? null : Path.of(value);
            } else {
                System.err.println("usage: stockade-spec-server [--dir DIRECTORY] [--metrics-socket PATH|off]   (defaults "
                        + HostLayout.SPEC_SERVER_DIR + ", " + NodeMetrics.SPEC_SERVER_SOCKET + ")");
                System.exit(2);
            }
        }
        try {
            new SpecServer(directory, new LinuxHostView(), metricsSocket).serve();
        } catch (IOException | RuntimeException e) {
            System.err.println("stockade-spec-server: " + e.getMessage() + "; containers are checked by a JVM per create meanwhile");
            System.exit(1);
        }
    }

    /** Opens the requests FIFO, announces this process in the pid file and answers requests until killed. */
    public void serve() throws IOException {
        prepareDirectory();
        Path requests = directory.resolve(HostLayout.SPEC_SERVER_REQUESTS);
        Path fresh = directory.resolve(HostLayout.SPEC_SERVER_REQUESTS + "." + ProcessHandle.current().pid());
        Files.deleteIfExists(fresh);
        Fifos.create(fresh, 0600);
        // Read-write, so the open does not wait for a writer and reads never see end-of-file.
        RandomAccessFile fifo = new RandomAccessFile(fresh.toFile(), "rw");
        Files.move(fresh, requests, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        String pid = Long.toString(ProcessHandle.current().pid());
        Path pidFile = directory.resolve(HostLayout.SPEC_SERVER_PID);
        Path pidBeside = directory.resolve(HostLayout.SPEC_SERVER_PID + "." + pid);
        Files.writeString(pidBeside, pid + "\n");
        Files.move(pidBeside, pidFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        NodeMetrics.Endpoint metricsEndpoint = serveMetrics();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            withdraw(pid);
            if (metricsEndpoint != null) {
                metricsEndpoint.close();
            }
        }));
        log("serving on " + requests + " (pid " + pid + ")");
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(new FileInputStream(fifo.getFD()), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = lines.readLine()) != null) {
                String id = line.strip();
                Thread.ofVirtual().name("request-" + id).start(() -> answer(id));
            }
        }
    }

    /** Answers one launcher: anything short of a checked request makes it fall back to its own JVM. */
    void answer(String id) {
        if (!SpecRequest.isId(id)) {
            // Only a launcher's pid names files here; anything else is left alone, unanswered.
            log("ignored request line " + id.replaceAll("[^\\x20-\\x7e]", "?") + ": not a process id");
            return;
        }
        Path reply = directory.resolve(id + HostLayout.SPEC_REQUEST_REPLY);
        String answer = "fallback\n";
        try {
            SpecRequest request;
            try {
                request = SpecRequest.read(directory, id);
            } finally {
                SpecRequest.removeInputs(directory, id);
            }
            RuncCommandLine command = RuncCommandLine.parse(request.arguments()).relativeTo(request.workingDirectory());
            long specBytes = parsedSpecBytes(command);
            int heapKib = (int) (specBytes * HEAP_BYTES_PER_SPEC_BYTE >> 10) + 1;
            if (heapKib > REQUEST_HEAP_BYTES >> 10) {
                fallback.increment();
                log("request " + id + ": its spec of " + specBytes + " bytes could take more than the " + (REQUEST_HEAP_BYTES >> 20)
                        + " MiB of heap this server lends to requests; the launcher checks it with its own JVM");
                return;
            }
            if (!requestHeap.tryAcquire(heapKib, HEAP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                fallback.increment();
                log("request " + id + ": no heap free for its spec within " + HEAP_WAIT.toSeconds() + " s; the launcher checks it with its own JVM");
                return;
            }
            try {
                ByteArrayOutputStream stderr = new ByteArrayOutputStream();
                int status = new SandboxRuntime(request.environment(), host).run(command, new PrintStream(stderr, true, StandardCharsets.UTF_8));
                String refusal = stderr.toString(StandardCharsets.UTF_8);
                answer = status + "\n" + refusal;
                if (status != 0) {
                    refused.increment();
                    log("request " + id + ": " + refusal.strip());
                } else {
                    allowed.increment();
                }
            } finally {
                requestHeap.release(heapKib);
            }
        } catch (InterruptedException e) {
            fallback.increment();
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            fallback.increment();
            log("request " + id + " not served (" + e.getMessage() + "): the launcher falls back to its JVM");
        } finally {
            reply(reply, answer);
        }
    }

    /**
     * The size of the spec file the request's check will parse. A file over
     * {@link JsonTrees#MAX_FILE_BYTES} is refused before it is parsed, and a missing one cannot be
     * read: both count as nothing.
     */
    static long parsedSpecBytes(RuncCommandLine command) {
        try {
            Optional<Path> spec = command.carriesSpec() ? command.specFile() : Optional.empty();
            long size = spec.isPresent() ? Files.size(spec.get()) : 0;
            return size > JsonTrees.MAX_FILE_BYTES ? 0 : size;
        } catch (IOException e) {
            return 0;
        }
    }

    private void reply(Path fifo, String text) {
        // Opening a FIFO to write waits for its reader. A launcher killed before it read leaves its
        // FIFO and no reader: after the launcher's own timeout, this server becomes the reader, so
        // that the open returns and no thread waits forever.
        Thread unblock = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(LAUNCHER_TIMEOUT.plusSeconds(1));
                try (InputStream drain = new FileInputStream(fifo.toFile())) {
                    drain.readAllBytes();
                }
                log("the launcher of " + fifo.getFileName() + " never read its answer");
            } catch (InterruptedException | IOException e) {
                // Answered in time, or the FIFO is gone: nothing to unblock.
            }
        });
        // WRITE without CREATE: a launcher that gave up has removed its FIFO, and no file may appear in its place.
        try (OutputStream out = Files.newOutputStream(fifo, StandardOpenOption.WRITE)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log("cannot answer " + fifo + ": " + e.getMessage());
        } finally {
            unblock.interrupt();
            try {
                Files.deleteIfExists(fifo);
            } catch (IOException e) {
                log("cannot remove " + fifo + ": " + e.getMessage());
            }
        }
    }

    /**
     * The directory must be this user's alone: whoever can write in it could answer for the
     * server. Refuses to serve otherwise (the launchers then use their own JVM).
     */
    private void prepareDirectory() throws IOException {
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        Object owner = Files.getAttribute(directory, "unix:uid");
        Object self = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(directory);
        if (!owner.equals(self) || !OWNER_ONLY.containsAll(permissions) || Files.isSymbolicLink(directory)) {
            throw new IOException(directory + " must be a directory owned by uid " + self + " with mode 0700 (it is uid "
                    + owner + ", " + PosixFilePermissions.toString(permissions) + "); remove it and start again");
        }
    }

    /** Metrics are an aid: a server that cannot publish them still serves (the installer then reports it down). */
    private NodeMetrics.Endpoint serveMetrics() {
        if (metricsSocket == null) {
            return null;
        }
        try {
            return NodeMetrics.serve(metricsSocket, this::metrics);
        } catch (IOException e) {
            log("cannot serve metrics on " + metricsSocket + ": " + e.getMessage());
            return null;
        }
    }

    /** On TERM: removes the FIFO and the pid file unless a newer server has replaced them. */
    private void withdraw(String pid) {
        try {
            Path pidFile = directory.resolve(HostLayout.SPEC_SERVER_PID);
            if (Files.exists(pidFile) && Files.readString(pidFile).strip().equals(pid)) {
                Files.deleteIfExists(directory.resolve(HostLayout.SPEC_SERVER_REQUESTS));
                Files.deleteIfExists(pidFile);
            }
        } catch (IOException e) {
            log("cannot remove " + directory + "/" + HostLayout.SPEC_SERVER_REQUESTS + " on exit: " + e.getMessage());
        }
    }

    private static void log(String message) {
        System.out.println(Instant.now() + " " + message);
    }
}
