package dev.stockade.installer.host;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.HostLayout;
import dev.stockade.installer.InstallerException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The daemons the installer keeps on the host (the supervisor, the spec server): started detached
 * in the host's namespaces and in a {@code stockade} cgroup of the host's own, so that they serve
 * runc on the host and outlive the installer's pod; found again by the records this install keeps
 * of them under its own host root; stopped with TERM, then KILL.
 *
 * <p>Why records: /proc is the machine's, shared by every host root an installer may be given (a
 * test's tree, a second install), and every install's daemons carry the same arguments
 * ({@code --socket /run/stockade/supervisor.sock}), so a command line cannot say whose a daemon is.
 * Each start writes {@code /run/stockade/daemons/<daemon>/<pid>} under the host root, holding the
 * process's start time; only this install has that file, and a recycled pid has another start
 * time. Neither the cgroup (one {@code stockade} cgroup for the whole machine, and a daemon that
 * cannot join it still runs) nor the socket's peer (after a hand-over the supervisor's listening
 * socket still names the process that created it; the spec server has none) can tell.
 */
public final class HostProcesses {

    /** The cgroup, under each hierarchy's root, that the daemons move into. */
    public static final String CGROUP = "stockade";
    /** Under the host root: a directory per daemon, a file per process this install started there. */
    public static final String RECORDS = HostLayout.STATE_DIR + "/daemons";
    private static final String RECORD = script("record-stockade-daemon.sh");
    private static final String ENTER_CGROUPS = script("enter-stockade-cgroups.sh");
    private static final String REMOVE_CGROUPS = script("remove-stockade-cgroups.sh");
    private static final Path PROC = Path.of("/proc");
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);

    private final HostRoot host;
    private final UnaryOperator<List<String>> inHost;
    private final boolean ownCgroups;
    private final boolean entersPid1;

    /**
     * {@code inHost} turns a command into one that runs in the host's namespaces;
     * {@code ownCgroups} moves the daemons into the host's {@link #CGROUP} cgroups (tests on fake
     * trees pass their own commands and leave this machine's cgroups alone).
     */
    public HostProcesses(HostRoot host, UnaryOperator<List<String>> inHost, boolean ownCgroups) {
        this(host, inHost, ownCgroups, false);
    }

    private HostProcesses(HostRoot host, UnaryOperator<List<String>> inHost, boolean ownCgroups, boolean entersPid1) {
        this.host = host;
        this.inHost = inHost;
        this.ownCgroups = ownCgroups;
        this.entersPid1 = entersPid1;
    }

    /** On a node: /proc is the host's (hostPID); nsenter into PID 1's namespaces unless the host root is /. */
    public static HostProcesses forNode(HostRoot host) {
        return host.isSystemRoot() ? new HostProcesses(host, List::copyOf, true, false)
                : new HostProcesses(host, HostProcesses::nsenter, true, true);
    }

    public List<String> inHost(List<String> command) {
        return inHost.apply(command);
    }

    /** The host path of {@code daemon}'s records. */
    public static String records(String daemon) {
        return RECORDS + "/" + daemon;
    }

    /**
     * The processes of {@code daemon} that this install started and that still run (see the class
     * comment); records of processes that are gone are removed. Throws when the records are not
     * this user's alone: whoever can write them could have the installer stop any process.
     */
    public List<ProcessHandle> running(String daemon) throws InstallerException {
        Path directory = host.resolve(records(daemon));
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        requireOwnDirectory(HostLayout.STATE_DIR);
        requireOwnDirectory(RECORDS);
        requireOwnDirectory(records(daemon));
        List<ProcessHandle> running = new ArrayList<>();
        try (var entries = Files.list(directory)) {
            for (Path record : entries.toList()) {
                // Anything else (a record being written, "<pid>.new") names no process yet.
                if (record.getFileName().toString().matches("[1-9]\\d{0,9}")) {
                    identify(record).ifPresentOrElse(running::add, () -> deleteStale(record));
                }
            }
        } catch (IOException e) {
            throw new InstallerException("cannot read " + records(daemon) + " on the node: " + e.getMessage(), e);
        }
        return running;
    }

    /**
     * The recorded process, if it still runs: its start time is the recorded one. The JDK's handle
     * keeps the start time it saw and signals only that process; reading ours again after taking
     * the handle proves the handle is the recorded process (a dead process's pid never comes back
     * to it).
     */
    private static Optional<ProcessHandle> identify(Path record) {
        long pid = Long.parseLong(record.getFileName().toString());
        try {
            String recorded = Files.readString(record).strip();
            if (!isRunning(pid, recorded)) {
                return Optional.empty();
            }
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            return handle.isPresent() && isRunning(pid, recorded) ? handle : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code pid} runs (a zombie does not) and started at {@code startTime}, field 22 of its stat. */
    private static boolean isRunning(long pid, String startTime) {
        try {
            String stat = Files.readString(PROC.resolve(pid + "/stat"), StandardCharsets.US_ASCII);
            // The command name, in parentheses, may hold spaces and parentheses: fields 3… follow its last ") ".
            String[] fields = stat.substring(stat.lastIndexOf(") ") + 2).strip().split(" ");
            return fields.length > 19 && !fields[0].equals("Z") && fields[19].equals(startTime);
        } catch (IOException | StringIndexOutOfBoundsException e) {
            return false;
        }
    }

    private static void deleteStale(Path record) {
        try {
            Files.deleteIfExists(record);
        } catch (IOException e) {
            // Harmless: it names no running process and is looked at again next time.
        }
    }

    /** A directory of this installer's user alone, not a link: else refuses to act on what it holds. */
    private void requireOwnDirectory(String hostPath) throws InstallerException {
        Path directory = host.resolve(hostPath);
        try {
            PosixFileAttributes attributes = Files.readAttributes(directory, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Object owner = Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            Object self = Files.getAttribute(PROC.resolve("self"), "unix:uid");
            if (!attributes.isDirectory() || !owner.equals(self) || attributes.permissions().contains(PosixFilePermission.GROUP_WRITE)
                    || attributes.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new InstallerException(hostPath + " on the node must be a directory owned by uid " + self
                        + " that no group or other user may write (it is " + (attributes.isDirectory() ? "a directory" : "not a directory")
                        + " of uid " + owner + ", " + PosixFilePermissions.toString(attributes.permissions())
                        + "): whoever can write there could have the installer stop any process. Check who changed it, give it to uid "
                        + self + " (chown) without group or other write (chmod go-w), and run the installer again");
            }
        } catch (IOException e) {
            throw new InstallerException("cannot check " + hostPath + " on the node: " + e.getMessage(), e);
        }
    }

    /** The arguments of a running process, empty once it is gone. */
    public static List<String> arguments(ProcessHandle process) {
        try {
            String cmdline = Files.readString(PROC.resolve(process.pid() + "/cmdline"), StandardCharsets.UTF_8);
            return cmdline.isEmpty() ? List.of() : List.of(cmdline.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The value after {@code flag} in {@code arguments}, if there is one. */
    public static Optional<String> argument(List<String> arguments, String flag) {
        int index = arguments.indexOf(flag);
        return index >= 0 && index + 1 < arguments.size() ? Optional.of(arguments.get(index + 1)) : Optional.empty();
    }

    /**
     * Starts {@code command} as {@code daemon} in its own session ({@code setsid -f}) in the host's
     * namespaces, recorded under the host root, its output appended to the host file
     * {@code logFile}; returns once the session leader has forked it off.
     */
    public void startDetached(String daemon, List<String> command, Map<String, String> environment, String logFile, Duration timeout)
            throws InstallerException {
        requireHostRootIsPid1s(daemon);
        Path log = host.resolve(logFile);
        List<String> detached = new ArrayList<>(List.of("setsid", "-f", "sh", "-c", RECORD, "stockade-daemon", records(daemon)));
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

    /**
     * A daemon entered into PID 1's namespaces runs in PID 1's root: its record, socket and files
     * land there. Started for any other host root, it would serve, and be recorded in, another
     * install's /run/stockade.
     */
    private void requireHostRootIsPid1s(String daemon) throws InstallerException {
        if (!entersPid1) {
            return;
        }
        String problem;
        try {
            if (Files.isSameFile(host.path(), PROC.resolve("1/root"))) {
                return;
            }
            problem = "it is not the root of PID 1, whose namespaces the daemon would run in";
        } catch (IOException e) {
            problem = "cannot compare it with PID 1's root /proc/1/root (" + e.getMessage() + ")";
        }
        throw new InstallerException("cannot start the " + daemon + " for the host root " + host.path() + ": " + problem
                + ". Mount the host's / at " + InstallerEnvironment.HOST_ROOT + " and run the installer in the host's PID namespace (hostPID)");
    }

    /**
     * Stops every recorded process of {@code daemon} (TERM, then KILL to those alive after
     * {@code timeout}) and removes its records. Nothing else is signalled. A process that survives
     * KILL keeps its record, and the stop fails naming it.
     */
    public void stop(String daemon, Duration timeout) throws InstallerException, InterruptedException {
        List<ProcessHandle> processes = running(daemon);
        processes.forEach(ProcessHandle::destroy);
        List<ProcessHandle> left = awaitExit(daemon, processes, timeout);
        left.forEach(ProcessHandle::destroyForcibly);
        left = awaitExit(daemon, left, KILL_TIMEOUT);
        if (!left.isEmpty()) {
            throw new InstallerException("the " + daemon + " process(es) " + left.stream().map(ProcessHandle::pid).toList()
                    + " did not exit on SIGKILL within " + KILL_TIMEOUT.toSeconds() + " s; their records stay in " + records(daemon)
                    + ". Look at them on the node (ps -o pid,stat,wchan,args -p PID) and run the installer again once they are gone");
        }
        try {
            HostFiles.deleteTree(host.resolve(records(daemon)));
            Path all = host.resolve(RECORDS);
            if (Files.isDirectory(all, LinkOption.NOFOLLOW_LINKS)) {
                try (var entries = Files.list(all)) {
                    if (entries.findAny().isEmpty()) {
                        Files.delete(all);
                    }
                }
            }
        } catch (IOException e) {
            throw new InstallerException("cannot remove " + records(daemon) + " on the node: " + e.getMessage(), e);
        }
    }

    /** Those of {@code processes} still recorded and running after waiting up to {@code timeout}. */
    private List<ProcessHandle> awaitExit(String daemon, List<ProcessHandle> processes, Duration timeout)
            throws InstallerException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ProcessHandle> left = stillRunning(daemon, processes);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            left = stillRunning(daemon, processes);
        }
        return left;
    }

    private List<ProcessHandle> stillRunning(String daemon, List<ProcessHandle> processes) throws InstallerException {
        List<Long> running = running(daemon).stream().map(ProcessHandle::pid).toList();
        return processes.stream().filter(process -> running.contains(process.pid())).toList();
    }

    /** Removes the {@link #CGROUP} cgroups once no daemon is left in them (uninstall). */
    public void removeCgroups() throws InstallerException {
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
