package dev.stockade.installer.host;

import dev.stockade.installer.InstallerException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The daemons the installer keeps on the host (the supervisor, the spec server): started detached
 * in the host's namespaces and in a {@code stockade} cgroup of the host's own, so that they serve
 * runc on the host and outlive the installer's pod; found again by their command line in the
 * host's /proc (the pod shares the host's PIDs); stopped with TERM, then KILL.
 */
public final class HostProcesses {

    /** The cgroup, under each hierarchy's root, that the daemons move into. */
    public static final String CGROUP = "stockade";
    private static final String ENTER_CGROUPS = script("enter-stockade-cgroups.sh");
    private static final String REMOVE_CGROUPS = script("remove-stockade-cgroups.sh");

    private final Path proc;
    private final UnaryOperator<List<String>> inHost;
    private final boolean ownCgroups;

    /**
     * {@code proc} lists the host's processes; {@code inHost} turns a command into one that runs
     * in the host's namespaces; {@code ownCgroups} moves the daemons into the host's
     * {@link #CGROUP} cgroups (tests on fake trees pass their own commands and leave this
     * machine's cgroups alone).
     */
    public HostProcesses(Path proc, UnaryOperator<List<String>> inHost, boolean ownCgroups) {
        this.proc = proc;
        this.inHost = inHost;
        this.ownCgroups = ownCgroups;
    }

    /** On a node: /proc is the host's; nsenter into PID 1's namespaces unless the host root is /. */
    public static HostProcesses forNode(HostRoot host) {
        return new HostProcesses(Path.of("/proc"), host.isSystemRoot() ? List::copyOf : HostProcesses::nsenter, true);
    }

    public List<String> inHost(List<String> command) {
        return inHost.apply(command);
    }

    /** Pids of the host's processes whose arguments match. */
    public List<Long> find(Predicate<List<String>> arguments) {
        List<Long> pids = new ArrayList<>();
        try (var entries = Files.list(proc)) {
            for (Path entry : entries.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (arguments.test(List.of(Files.readString(entry.resolve("cmdline"), StandardCharsets.UTF_8).split("\0")))) {
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

    /** Whether the arguments hold {@code mainClass} and {@code flag value}. */
    public static boolean runs(List<String> arguments, String mainClass, String flag, String value) {
        int index = arguments.indexOf(flag);
        return arguments.contains(mainClass) && index >= 0 && index + 1 < arguments.size() && arguments.get(index + 1).equals(value);
    }

    /**
     * Starts {@code command} in its own session ({@code setsid -f}) in the host's namespaces, its
     * output appended to the host file {@code logFile}; returns once the session leader has forked it off.
     */
    public void startDetached(List<String> command, Map<String, String> environment, HostRoot host, String logFile, Duration timeout)
            throws InstallerException {
        Path log = host.resolve(logFile);
        List<String> detached = new ArrayList<>(List.of("setsid", "-f"));
        if (ownCgroups) {
            detached.addAll(List.of("sh", "-c", ENTER_CGROUPS, "stockade-daemon"));
        }
        detached.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(inHost.apply(detached)).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().putAll(environment);
        try {
            Files.createDirectories(log.getParent());
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Process launcher = builder.start();
            if (!launcher.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || launcher.exitValue() != 0) {
                launcher.destroyForcibly();
                throw new InstallerException("cannot start " + String.join(" ", command) + " on the host; see " + logFile + " on the node");
            }
        } catch (IOException e) {
            throw new InstallerException("cannot start " + String.join(" ", command) + " on the host: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallerException("interrupted while starting " + String.join(" ", command), e);
        }
    }

    /** TERM to each, then KILL to those still alive after {@code timeout}. */
    public static void stop(List<Long> pids, Duration timeout) throws InterruptedException {
        List<ProcessHandle> processes = pids.stream().map(ProcessHandle::of).flatMap(Optional::stream).toList();
        processes.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processes.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        processes.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    /** Removes the {@link #CGROUP} cgroups once no daemon is left in them (uninstall). */
    public void removeCgroups(HostRoot host) throws InstallerException {
        if (!ownCgroups || !hasCgroups(host.resolve("/sys/fs/cgroup"))) {
            return;
        }
        try {
            Process remove = new ProcessBuilder(inHost.apply(List.of("sh", "-c", REMOVE_CGROUPS))).redirectErrorStream(true).start();
            remove.getOutputStream().close();
            String output = new String(remove.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (remove.waitFor() != 0) {
                throw new InstallerException(output.isEmpty() ? "cannot remove the host's " + CGROUP + " cgroups" : output);
            }
        } catch (IOException e) {
            throw new InstallerException("cannot remove the host's " + CGROUP + " cgroups: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallerException("interrupted while removing the host's " + CGROUP + " cgroups", e);
        }
    }

    /** Whether a hierarchy under the host's cgroup mount has a {@link #CGROUP} cgroup (v2 at depth 1, v1 at 2). */
    private static boolean hasCgroups(Path cgroupMount) {
        if (!Files.isDirectory(cgroupMount)) {
            return false;
        }
        try (var paths = Files.walk(cgroupMount, 2)) {
            return paths.anyMatch(path -> path.getFileName().toString().equals(CGROUP) && Files.isDirectory(path));
        } catch (IOException | java.io.UncheckedIOException e) {
            return true; // Let the script look for itself.
        }
    }

    private static String script(String name) {
        try (var in = HostProcesses.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the installer's resource " + name + " is missing", e);
        }
    }

    private static List<String> nsenter(List<String> command) {
        // The host's cgroup namespace too (-C): only from there can a daemon leave the pod's cgroups.
        List<String> entered = new ArrayList<>(List.of("nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "-C", "--"));
        entered.addAll(command);
        return entered;
    }
}
