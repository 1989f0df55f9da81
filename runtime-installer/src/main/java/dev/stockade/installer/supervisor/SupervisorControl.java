package dev.stockade.installer.supervisor;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.node.NodeMetrics;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostFiles;
import dev.stockade.installer.host.HostProcesses;
import dev.stockade.installer.host.HostRoot;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Starts, checks and stops the node's supervisor ({@code bin/stockade-supervisor} of the current
 * release) in the host's namespaces: it serves runc on the host, so it must see the host's /run
 * and processes. From the installer's pod (host root elsewhere than /, hostPID) that means
 * {@code nsenter} into PID 1's namespaces; with the host root at / it is started directly.
 */
public final class SupervisorControl {

    public static final String LAUNCHER = HostLayout.CURRENT + "/" + HostLayout.SUPERVISOR_LAUNCHER;
    static final Path POD_CREDENTIALS = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
    private static final List<String> CREDENTIAL_FILES = List.of("token", "ca.crt", "namespace");
    /** The name this install records its supervisors under ({@link HostProcesses#records}). */
    public static final String DAEMON = "supervisor";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final HostRoot host;
    private final Optional<String> nodeName;
    private final HostProcesses processes;
    private final String metrics;

    public SupervisorControl(HostRoot host, Optional<String> nodeName, HostProcesses processes) {
        this(host, nodeName, processes, InstallerEnvironment.DEFAULT_SUPERVISOR_METRICS);
    }

    /** {@code metrics}: the supervisor's --metrics, HOST:PORT or off. */
    public SupervisorControl(HostRoot host, Optional<String> nodeName, HostProcesses processes, String metrics) {
        this.host = host;
        this.nodeName = nodeName;
        this.processes = processes;
        this.metrics = metrics;
    }

    public static SupervisorControl forNode(HostRoot host, Optional<String> nodeName, String metrics) {
        return new SupervisorControl(host, nodeName, HostProcesses.forNode(host), metrics);
    }

    /**
     * Whether a supervisor of this install serves its metrics elsewhere than asked: a new one then
     * takes over, as for a new release.
     */
    public boolean metricsChanged() throws InstallerException {
        return processes.running(DAEMON).stream()
                .anyMatch(process -> !HostProcesses.argument(HostProcesses.arguments(process), "--metrics").equals(Optional.of(metrics)));
    }

    /** Why this host cannot run the supervisor (its own {@code check}), or empty when it can. */
    public Optional<String> unsupported() throws InstallerException {
        if (!Files.isExecutable(host.resolve(LAUNCHER))) {
            return Optional.of("the installed payload has no executable " + LAUNCHER);
        }
        try {
            Process check = new ProcessBuilder(processes.inHost(List.of(LAUNCHER, "check"))).redirectErrorStream(true).start();
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

    /** Whether a supervisor accepts connections on {@link HostLayout#SUPERVISOR_SOCKET}. */
    public boolean answers() {
        Path socket = host.resolve(HostLayout.SUPERVISOR_SOCKET);
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
        List<String> command = List.of(LAUNCHER, "run", "--socket", HostLayout.SUPERVISOR_SOCKET,
                "--metrics-socket", NodeMetrics.SUPERVISOR_SOCKET, "--metrics", metrics);
        Map<String, String> environment = new HashMap<>();
        nodeName.ifPresent(name -> environment.put("NODE_NAME", name));
        if (shareCredentials()) {
            // The fabric8 client's names for a token file and a CA file (kubernetes.auth.serviceAccount.token, kubernetes.certs.ca.file).
            environment.put("KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN", HostLayout.SERVICE_ACCOUNT + "/token");
            environment.put("KUBERNETES_CERTS_CA_FILE", HostLayout.SERVICE_ACCOUNT + "/ca.crt");
        }
        List<Long> before = runningSupervisors();
        processes.startDetached(DAEMON, command, environment, HostLayout.SUPERVISOR_LOG, START_TIMEOUT);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try {
            // Started when one of ours answers that was not running before; a hand-over only once the
            // ones before have exited, which they do when the new one has taken their containers.
            while (!started(before)) {
                if (System.nanoTime() > deadline) {
                    throw new InstallerException("the supervisor started with " + String.join(" ", command) + " does not answer on "
                            + HostLayout.SUPERVISOR_SOCKET
                            + (before.isEmpty() ? "" : " or the one before it (pid " + before + ") did not hand over to it")
                            + " after " + START_TIMEOUT.toSeconds() + " s; see " + HostLayout.SUPERVISOR_LOG + " on the node");
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallerException("interrupted while starting the supervisor", e);
        }
    }

    private boolean started(List<Long> before) throws InstallerException {
        List<Long> running = runningSupervisors();
        return answers() && running.stream().anyMatch(pid -> !before.contains(pid)) && running.stream().noneMatch(before::contains);
    }

    /**
     * Copies the pod's service-account credentials to {@link HostLayout#SERVICE_ACCOUNT} when there are any
     * and the host is not this process's own root (there the supervisor sees them itself). Returns
     * whether the supervisor should be pointed at the copy.
     */
    public boolean shareCredentials() throws InstallerException {
        return shareCredentials(POD_CREDENTIALS);
    }

    boolean shareCredentials(Path podCredentials) throws InstallerException {
        if (host.isSystemRoot() || !Files.isReadable(podCredentials.resolve("token"))) {
            return false;
        }
        Path target = host.resolve(HostLayout.SERVICE_ACCOUNT);
        try {
            Files.createDirectories(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            for (String file : CREDENTIAL_FILES) {
                Path source = podCredentials.resolve(file);
                if (Files.isReadable(source)) {
                    byte[] content = Files.readAllBytes(source);
                    Path copy = target.resolve(file);
                    if (!Files.exists(copy) || !Arrays.equals(content, Files.readAllBytes(copy))) {
                        HostFiles.writeAtomically(copy, content, PosixFilePermissions.fromString("rw-------"));
                    }
                }
            }
            return true;
        } catch (IOException e) {
            throw new InstallerException("cannot copy the service-account credentials to " + HostLayout.SERVICE_ACCOUNT + " on the node: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Removes the credentials copy, the daemons' cgroups and, once nothing else is in it, the
     * state directory the supervisor created for its socket (uninstall, after the daemons stopped).
     */
    public void removeHostState() throws InstallerException {
        Path target = host.resolve(HostLayout.SERVICE_ACCOUNT);
        try {
            for (String file : CREDENTIAL_FILES) {
                Files.deleteIfExists(target.resolve(file));
            }
            Files.deleteIfExists(target);
            processes.removeCgroups();
            // The supervisor and the spec server are stopped by now: their metrics sockets are leftovers.
            HostFiles.deleteTree(host.resolve(NodeMetrics.DIRECTORY));
            Path stateDirectory = host.resolve(HostLayout.STATE_DIR);
            if (Files.isDirectory(stateDirectory)) {
                try (var entries = Files.list(stateDirectory)) {
                    if (entries.findAny().isEmpty()) {
                        Files.delete(stateDirectory);
                    }
                }
            }
        } catch (IOException e) {
            throw new InstallerException("cannot remove " + HostLayout.SERVICE_ACCOUNT + " or " + HostLayout.STATE_DIR + " on the node: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Stops the supervisors this install started (TERM, then KILL) and removes the sockets they
     * leave behind. Another host root's supervisor, whatever its arguments, is not touched.
     */
    public void stop() throws InstallerException {
        try {
            processes.stop(DAEMON, STOP_TIMEOUT);
            Files.deleteIfExists(host.resolve(HostLayout.SUPERVISOR_SOCKET));
            Files.deleteIfExists(host.resolve(HostLayout.handoverSocket(HostLayout.SUPERVISOR_SOCKET)));
        } catch (IOException e) {
            throw new InstallerException("cannot remove the supervisor's sockets " + HostLayout.SUPERVISOR_SOCKET
                    + "(" + HostLayout.HANDOVER_SUFFIX + "): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallerException("interrupted while stopping the supervisor", e);
        }
    }

    /** The supervisors this install started that still run, by their records under the host root. */
    public List<Long> runningSupervisors() throws InstallerException {
        return processes.running(DAEMON).stream().map(ProcessHandle::pid).toList();
    }
}
