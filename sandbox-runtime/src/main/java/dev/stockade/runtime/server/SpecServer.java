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
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The resident spec server: the same check and hardening as the per-create JVM, in a JVM that is
 * already running and warm, so that {@code create} costs a few milliseconds instead of a JVM
 * start. The launcher talks to it through a root-only directory ({@link HostLayout#SPEC_SERVER_DIR};
 * a POSIX shell can use a FIFO, not a unix socket): it leaves its arguments and environment there
 * under its pid, writes the pid to the {@code requests} FIFO and reads the answer from its fd
 * {@link HostLayout#SPEC_REQUEST_REPLY_FD}, a pipe this server opens through {@code /proc}. The answer
 * is the status the per-create JVM would exit with, then what it would print on stderr
 * ({@link #encode}). Whenever the server is missing, dead, stale, slow or says anything else, the
 * launcher runs the JVM itself: the server makes creates faster, never less checked.
 */
public final class SpecServer {

    /**
     * How long bin/stockade-runtime waits for an answer before it runs its own JVM ({@code sleep 10}
     * there, whose end closes the last writer of its reply pipe but the server's); counted from the
     * launcher's start.
     */
    public static final Duration LAUNCHER_TIMEOUT = Duration.ofSeconds(10);
    /**
     * The server answers within this time of the launcher's start, well inside {@link #LAUNCHER_TIMEOUT}:
     * a check still running then is told to the launcher as "check it yourself", and may no longer
     * write the bundle's spec, so that only one check's spec is ever the one runc reads.
     */
    public static final Duration ANSWER_DEADLINE = Duration.ofSeconds(5);
    /** What a launcher takes as "check it yourself": anything but its two answers. */
    static final String FALLBACK = "fallback\n";
    /**
     * The heap requests may take at once, of the server's 32 MiB (-Xmx32m in bin/stockade-spec-server;
     * the server itself holds a few). A request reserves what its spec can take as a JSON tree at
     * worst before it is read, so no spec, and no crowd of them, can run the server out of memory.
     */
    static final long REQUEST_HEAP_BYTES = 16L << 20;
    /** What one byte of spec can take at worst: 52 in the tree (measured for nested one-element arrays), its text, the rewritten copy. */
    static final long HEAP_BYTES_PER_SPEC_BYTE = 56;
    /** How long a request waits for heap, at most, before the launcher is told to use its own JVM. */
    static final Duration HEAP_WAIT = Duration.ofSeconds(5);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    private static final Path PROC = Path.of("/proc");
    /** A request's files in the directory, named by its launcher's pid. */
    private static final Pattern REQUEST_FILE = Pattern.compile("([0-9]{1,10})(" + Pattern.quote(HostLayout.SPEC_REQUEST_ARGUMENTS)
            + "|" + Pattern.quote(HostLayout.SPEC_REQUEST_ENVIRONMENT) + "|" + Pattern.quote(HostLayout.SPEC_REQUEST_REPLY) + ")");

    /** Where a request stands: its check may write the spec only while pending, and only one answer is sent. */
    private enum Progress { PENDING, WRITING, ANSWERED, EXPIRED }

    private final Path directory;
    private final HostView host;
    /** The server's own mount namespace: it never changes it. */
    private final Optional<HostView.Namespace> ourMounts;
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
        this.ourMounts = host.namespace(PROC.resolve("self/ns/mnt").toString());
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
        removeLeftRequests();
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
        Optional<Duration> age = SpecRequest.age(PROC, id);
        if (age.isEmpty()) {
            SpecRequest.removeInputs(directory, id);
            log("request " + id + ": its launcher is gone; nothing to answer");
            return;
        }
        long started = System.nanoTime() - age.get().toNanos();
        long deadline = started + ANSWER_DEADLINE.toNanos();
        long giveUp = started + LAUNCHER_TIMEOUT.toNanos();
        Path reply = PROC.resolve(id).resolve("fd").resolve(Integer.toString(HostLayout.SPEC_REQUEST_REPLY_FD));
        AtomicReference<Progress> progress = new AtomicReference<>(Progress.PENDING);
        Thread watch = Thread.ofVirtual().name("deadline-" + id).start(() -> {
            try {
                Thread.sleep(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                return;
            }
            if (progress.compareAndSet(Progress.PENDING, Progress.EXPIRED)) {
                fallback.increment();
                log("request " + id + ": not checked within " + ANSWER_DEADLINE.toSeconds() + " s of the launcher's start; it checks the spec itself");
                send(reply, FALLBACK, giveUp);
            }
        });
        String answer = FALLBACK;
        LongAdder result = fallback;
        try {
            SpecRequest request;
            try {
                request = SpecRequest.read(directory, id);
            } finally {
                SpecRequest.removeInputs(directory, id);
            }
            if (!SpecRequest.inMountNamespace(host, PROC, id, ourMounts)) {
                // An engine in a mount namespace of its own (a snap's, a test's): its paths are not ours.
                log("request " + id + ": the launcher is in another mount namespace, whose files this server cannot check; "
                        + "it checks the spec itself");
                return;
            }
            RuncCommandLine command = RuncCommandLine.parse(request.arguments()).relativeTo(request.workingDirectory());
            long specBytes = parsedSpecBytes(command);
            int heapKib = (int) (specBytes * HEAP_BYTES_PER_SPEC_BYTE >> 10) + 1;
            if (heapKib > REQUEST_HEAP_BYTES >> 10) {
                log("request " + id + ": its spec of " + specBytes + " bytes could take more than the " + (REQUEST_HEAP_BYTES >> 20)
                        + " MiB of heap this server lends to requests; the launcher checks it with its own JVM");
                return;
            }
            long heapWait = Math.min(HEAP_WAIT.toNanos(), deadline - System.nanoTime());
            if (!requestHeap.tryAcquire(heapKib, Math.max(0, heapWait), TimeUnit.NANOSECONDS)) {
                log("request " + id + ": no heap free for its spec in time; the launcher checks it with its own JVM");
                return;
            }
            try {
                ByteArrayOutputStream stderr = new ByteArrayOutputStream();
                BooleanSupplier mayWrite = () -> System.nanoTime() < deadline && progress.compareAndSet(Progress.PENDING, Progress.WRITING);
                int status = new SandboxRuntime(request.environment(), host, mayWrite)
                        .run(command, new PrintStream(stderr, true, StandardCharsets.UTF_8));
                String refusal = stderr.toString(StandardCharsets.UTF_8);
                answer = encode(status, refusal);
                result = status == 0 ? allowed : refused;
                if (status != 0) {
                    log("request " + id + ": " + refusal.strip());
                }
            } finally {
                requestHeap.release(heapKib);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            log("request " + id + " not served (" + e.getMessage() + "): the launcher falls back to its JVM");
        } finally {
            // Once the deadline has answered, the launcher is checking the spec itself: say nothing more.
            if (progress.get() == Progress.WRITING || progress.compareAndSet(Progress.PENDING, Progress.ANSWERED)) {
                watch.interrupt();
                result.increment();
                send(reply, answer, giveUp);
            }
        }
    }

    /**
     * What the launcher reads: {@code 0} for checked and hardened, {@code 1 <n>} and the refusal's n
     * lines for refused, each line ending in a newline; any other status is not an answer
     * ({@link #FALLBACK}). bin/stockade-runtime takes nothing else.
     */
    static String encode(int status, String refusal) {
        if (status == 0) {
            return "0\n";
        }
        if (status != 1) {
            return FALLBACK;
        }
        String text = refusal.strip();
        List<String> lines = text.isEmpty() ? List.of() : text.lines().toList();
        StringBuilder out = new StringBuilder("1 ").append(lines.size()).append('\n');
        lines.forEach(line -> out.append(line).append('\n'));
        return out.toString();
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

    /**
     * Writes the answer into the launcher's reply pipe, which it holds open for reading; a launcher
     * that is gone (no such fd, no reader) or stopped reading by {@code giveUp} is left alone.
     */
    private void send(Path reply, String answer, long giveUp) {
        try {
            Fifos.writeToReader(reply, answer.getBytes(StandardCharsets.UTF_8), giveUp);
        } catch (IOException e) {
            log("cannot answer " + reply + ": " + e.getMessage());
        }
    }

    /**
     * Removes the request files of launchers that are gone: a server killed while they waited left
     * them (the launchers fell back to their own JVM, and their shell removes no file itself).
     */
    private void removeLeftRequests() throws IOException {
        try (var files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Matcher matcher = REQUEST_FILE.matcher(file.getFileName().toString());
                if (matcher.matches() && SpecRequest.age(PROC, matcher.group(1)).isEmpty()) {
                    Files.deleteIfExists(file);
                }
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
