package dev.stockade.installer.supervisor;

import dev.stockade.api.Stockade;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.payload.PayloadInstaller;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Starts, checks and stops the node's supervisor ({@code bin/stockade-supervisor} of the current
 * release) in the host's namespaces: it serves runc on the host, so it must see the host's /run
 * and processes. From the installer's pod (host root elsewhere than /, hostPID) that means
 * {@code nsenter} into PID 1's namespaces; with the host root at / it is started directly.
 */
public final class SupervisorControl {

    public static final String SOCKET = Stockade.HOST_STATE_DIR + "/supervisor.sock";
    /** Where a new supervisor asks the running one for its containers (the supervisor's own naming). */
    public static final String HANDOVER_SOCKET = SOCKET + ".handover";
    public static final String LAUNCHER = PayloadInstaller.CURRENT + "/bin/stockade-supervisor";
    /** The supervisor's output on the host; uninstall removes it with the rest. */
    public static final String LOG_FILE = "/var/log/stockade-supervisor.log";
    static final String METRICS = "0.0.0.0:9464";
    private static final String MAIN_CLASS = "dev.stockade.supervisor.SupervisorMain";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final HostRoot host;
    private final Optional<String> nodeName;
    private final Path proc;
    private final UnaryOperator<List<String>> inHost;

    /**
     * {@code proc} lists the host's processes; {@code inHost} turns a command into one that runs
     * in the host's namespaces (tests on fake trees pass their own).
     */
    public SupervisorControl(HostRoot host, Optional<String> nodeName, Path proc, UnaryOperator<List<String>> inHost) {
        this.host = host;
        this.nodeName = nodeName;
        this.proc = proc;
        this.inHost = inHost;
    }

    /** On a node: the pod shares the host's PIDs, so /proc is the host's; nsenter unless the host root is /. */
    public static SupervisorControl forNode(HostRoot host, Optional<String> nodeName) {
        return new SupervisorControl(host, nodeName, Path.of("/proc"), host.isSystemRoot() ? List::copyOf : SupervisorControl::nsenter);
    }

    /** Why this host cannot run the supervisor (its own {@code check}), or empty when it can. */
    public Optional<String> unsupported() throws InstallerException {
        if (!Files.isExecutable(host.resolve(LAUNCHER))) {
            return Optional.of("the installed payload has no executable " + LAUNCHER);
        }
        try {
            Process check = new ProcessBuilder(inHost.apply(List.of(LAUNCHER, "check"))).redirectErrorStream(true).start();
            check.getOutputStream().close();
            String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!check.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                check.destroyForcibly();
                return Optional.of(LAUNCHER + " check did not finish within " + START_TIMEOUT.toSeconds() + " s");
            }
            return check.exitValue() == 0 ? Optional.empty() : Optional.of(output.isEmpty() ? LAUNCHER + " check failed" : output);
        } catch (IOException e) {
            throw new InstallerException("cannot run " + LAUNCHER + " check: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallerException("interrupted while running " + LAUNCHER + " check", e);
        }
    }

    /** Whether a supervisor accepts connections on {@link #SOCKET}. */
    public boolean answers() {
        Path socket = host.resolve(SOCKET);
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Starts a supervisor in its own session, so that it outlives the installer, and waits until
     * it answers. With one already on the socket, the new one takes over from it.
     */
    public void start() throws InstallerException {
        List<String> command = new ArrayList<>(List.of("setsid", "-f", LAUNCHER, "run", "--socket", SOCKET, "--metrics", METRICS));
        ProcessBuilder builder = new ProcessBuilder(inHost.apply(command)).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        nodeName.ifPresent(name -> builder.environment().put("NODE_NAME", name));
        Path log = host.resolve(LOG_FILE);
        List<Long> before = runningSupervisors();
        try {
            Files.createDirectories(log.getParent());
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Process launcher = builder.start();
            if (!launcher.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || launcher.exitValue() != 0) {
                launcher.destroyForcibly();
                throw new InstallerException("cannot start the supervisor (" + String.join(" ", command) + "); see " + LOG_FILE + " on the node");
            }
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            // A hand-over is complete when a new process answers; a fresh start when anything answers.
            while (!(answers() && runningSupervisors().stream().anyMatch(pid -> !before.contains(pid)))) {
                if (System.nanoTime() > deadline) {
                    throw new InstallerException("the supervisor started with " + String.join(" ", command) + " does not answer on "
                            + SOCKET + " after " + START_TIMEOUT.toSeconds() + " s; see " + LOG_FILE + " on the node");
                }
                Thread.sleep(50);
            }
        } catch (IOException e) {
            throw new InstallerException("cannot start the supervisor: " + e.getMessage() + "; see " + LOG_FILE + " on the node", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallerException("interrupted while starting the supervisor", e);
        }
    }

    /** Stops every supervisor serving {@link #SOCKET} (TERM, then KILL) and removes its sockets, which it leaves behind. */
    public void stop() throws InstallerException {
        List<ProcessHandle> processes = runningSupervisors().stream().map(ProcessHandle::of).flatMap(Optional::stream).toList();
        processes.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        try {
            while (processes.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            processes.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            Files.deleteIfExists(host.resolve(SOCKET));
            Files.deleteIfExists(host.resolve(HANDOVER_SOCKET));
        } catch (IOException e) {
            throw new InstallerException("cannot remove the supervisor's sockets " + SOCKET + "(.handover): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallerException("interrupted while stopping the supervisor", e);
        }
    }

    /** Supervisors serving our socket, found by their command line (the pod shares the host's PIDs). */
    public List<Long> runningSupervisors() {
        List<Long> pids = new ArrayList<>();
        try (var entries = Files.list(proc)) {
            for (Path entry : entries.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    List<String> arguments = List.of(Files.readString(entry.resolve("cmdline"), StandardCharsets.UTF_8).split("\0"));
                    int socket = arguments.indexOf("--socket");
                    if (arguments.contains(MAIN_CLASS) && socket >= 0 && socket + 1 < arguments.size()
                            && arguments.get(socket + 1).equals(SOCKET)) {
                        pids.add(Long.parseLong(entry.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // The process exited while we looked.
                }
            }
        } catch (IOException e) {
            return pids;
        }
        return pids;
    }

    private static List<String> nsenter(List<String> command) {
        List<String> entered = new ArrayList<>(List.of("nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--"));
        entered.addAll(command);
        return entered;
    }
}
