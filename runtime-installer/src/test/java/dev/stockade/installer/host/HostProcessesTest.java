package dev.stockade.installer.host;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.HostLayout;
import dev.stockade.installer.InstallerException;
import dev.stockade.testing.HostPrerequisites;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the installer tells its own daemons from everyone else's, with real processes on this
 * machine: started for one host root, a daemon is recorded under that root and found, checked and
 * stopped only through it, whatever its arguments.
 */
class HostProcessesTest {

    /** A daemon's arguments as every install on the machine gives them; here a harmless shell loop. */
    static final List<String> STAND_IN = List.of("sh", "-c", "while :; do sleep 1; done", "stand-in",
            "dev.stockade.supervisor.SupervisorMain", "run", "--socket", "/run/stockade/supervisor.sock", "--metrics", "off");
    static final String DAEMON = "supervisor";
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path directory;

    final List<Long> started = new ArrayList<>();

    @AfterEach
    void killWhatThisTestStarted() {
        started.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void aDaemonIsFoundAndStoppedThroughTheHostRootThatStartedItAndNoOther() throws Exception {
        HostProcesses first = processes("first");
        HostProcesses second = processes("second");
        first.startDetached(DAEMON, STAND_IN, java.util.Map.of(), "/var/log/stand-in.log", TIMEOUT);
        long pid = awaitOne(first);
        assertEquals(STAND_IN, HostProcesses.arguments(ProcessHandle.of(pid).orElseThrow()), "the same arguments as any install's");

        assertEquals(List.of(), second.running(DAEMON), "another host root does not see it");
        second.stop(DAEMON, TIMEOUT);
        assertTrue(alive(pid), "nor stops it");

        first.stop(DAEMON, TIMEOUT);
        assertFalse(alive(pid), "its own host root stops it");
        assertFalse(Files.exists(directory.resolve("first/run/stockade/daemons")), "and removes its records");
    }

    @Test
    void aDaemonKilledOutrightIsNoLongerFoundAndItsRecordGoes() throws Exception {
        HostProcesses processes = processes("host");
        processes.startDetached(DAEMON, STAND_IN, java.util.Map.of(), "/var/log/stand-in.log", TIMEOUT);
        long pid = awaitOne(processes);
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        awaitGone(pid);

        assertEquals(List.of(), processes.running(DAEMON));
        assertFalse(Files.exists(directory.resolve("host/run/stockade/daemons/supervisor/" + pid)), "the stale record is removed");
    }

    @Test
    void aRecordNamesAProcessOnlyWithItsStartTimeSoARecycledPidIsLeftAlone() throws Exception {
        HostProcesses processes = processes("host");
        Process other = new ProcessBuilder(STAND_IN).start();
        started.add(other.pid());
        Path record = Files.createDirectories(directory.resolve("host/run/stockade/daemons/supervisor")).resolve(Long.toString(other.pid()));

        // The record of a daemon that exited, whose pid the kernel has since given to another process.
        Files.writeString(record, "1\n");
        assertEquals(List.of(), processes.running(DAEMON));
        processes.stop(DAEMON, TIMEOUT);
        assertTrue(other.isAlive(), "a process with a recorded pid but another start time is not signalled");
        assertFalse(Files.exists(record), "and the stale record is gone");

        // With the start time the kernel gives for that pid, the record names it.
        Files.createDirectories(record.getParent());
        Files.writeString(record, startTime(other.pid()) + "\n");
        assertEquals(List.of(other.pid()), processes.running(DAEMON).stream().map(ProcessHandle::pid).toList());
    }

    @Test
    void recordsOthersMayWriteAreRefusedNamingTheDirectoryAndNothingIsSignalled() throws Exception {
        HostProcesses processes = processes("host");
        processes.startDetached(DAEMON, STAND_IN, java.util.Map.of(), "/var/log/stand-in.log", TIMEOUT);
        long pid = awaitOne(processes);
        Files.setPosixFilePermissions(directory.resolve("host/run/stockade/daemons/supervisor"), PosixFilePermissions.fromString("rwxrwxrwx"));

        InstallerException refused = assertThrows(InstallerException.class, () -> processes.stop(DAEMON, TIMEOUT));
        assertTrue(refused.getMessage().startsWith("/run/stockade/daemons/supervisor on the node must be a directory owned by uid "),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("rwxrwxrwx") && refused.getMessage().contains("(chmod go-w)"), refused.getMessage());
        assertTrue(alive(pid));

        Files.setPosixFilePermissions(directory.resolve("host/run/stockade/daemons/supervisor"), PosixFilePermissions.fromString("rwx------"));
        processes.stop(DAEMON, TIMEOUT);
        assertFalse(alive(pid));
    }

    @Test
    void onANodeADaemonIsStartedOnlyForTheHostRootThatIsPid1s() throws Exception {
        Path root = Files.createDirectories(directory.resolve("not-the-node"));
        HostProcesses processes = HostProcesses.forNode(new HostRoot(root));

        InstallerException refused = assertThrows(InstallerException.class,
                () -> processes.startDetached(DAEMON, STAND_IN, java.util.Map.of(), "/var/log/stand-in.log", TIMEOUT));
        assertTrue(refused.getMessage().startsWith("cannot start the supervisor for the host root " + root + ": "), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("Mount the host's / at " + InstallerEnvironment.HOST_ROOT
                + " and run the installer in the host's PID namespace (hostPID)"), refused.getMessage());
        assertFalse(Files.exists(root.resolve("run")), "nothing was started or recorded");
    }

    /**
     * Uninstall on this machine's real cgroups. A daemon stopped a moment ago may still have
     * tasks in its cgroups (a stopped JVM's main thread turns zombie before its other threads have
     * left), and rmdir fails with EBUSY until they are gone: CI failed so on 2026-11-30. Here the
     * stand-in leaves a child behind for 1 s when stopped, and the removal waits it out.
     */
    @Test
    void theDaemonsCgroupsAreRemovedOnceTheLastTaskHasLeftThem() throws Exception {
        HostPrerequisites.requireRoot();
        assertEquals(List.of(), StockadeCgroups.onThisMachine(), "stockade cgroups exist already: another Stockade install is on this machine");
        boolean stateDirExisted = Files.exists(Path.of(HostLayout.STATE_DIR));
        HostProcesses processes = HostProcesses.forNode(new HostRoot(Path.of("/")));
        List<String> lingering = List.of("sh", "-c", "trap 'sleep 1 & exit 0' TERM; while :; do sleep 0.1; done");
        try {
            processes.startDetached(DAEMON, lingering, java.util.Map.of(), directory.resolve("daemon.log").toString(), TIMEOUT);
            long pid = awaitOne(processes, lingering);
            assertFalse(StockadeCgroups.onThisMachine().isEmpty(), "the daemon runs in the stockade cgroups");

            processes.stop(DAEMON, TIMEOUT);
            assertFalse(alive(pid));
            assertFalse(stockadeTasks().isEmpty(), "its child is still in its cgroups");
            processes.removeCgroups();
            assertEquals(List.of(), StockadeCgroups.onThisMachine(), "the cgroups are gone once their last task has left");
        } finally {
            processes.stop(DAEMON, TIMEOUT);
            try {
                processes.removeCgroups(); // Leftovers would fail every later run's first check.
            } catch (InstallerException alreadyReported) {
                // The assertion above names it.
            }
            if (!stateDirExisted) {
                HostFiles.deleteTree(Path.of(HostLayout.STATE_DIR));
            }
        }
    }

    /**
     * Processes of a host root under the test's directory; the record wrapper's directory is mapped
     * into it, the daemon's own arguments are left exactly as on a node.
     */
    private HostProcesses processes(String name) throws Exception {
        HostRoot host = new HostRoot(Files.createDirectories(directory.resolve(name)));
        return new HostProcesses(host, command -> command.stream()
                .map(argument -> argument.startsWith(HostProcesses.RECORDS + "/") ? host.resolve(argument).toString() : argument).toList(), false);
    }

    private long awaitOne(HostProcesses processes) throws Exception {
        return awaitOne(processes, STAND_IN);
    }

    private long awaitOne(HostProcesses processes, List<String> arguments) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        List<ProcessHandle> running = processes.running(DAEMON);
        while (running.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            running = processes.running(DAEMON);
        }
        assertEquals(1, running.size(), "one recorded daemon: " + running);
        long pid = running.getFirst().pid();
        started.add(pid);
        // Past the record wrapper: the daemon itself, under the recorded pid.
        while (!HostProcesses.arguments(running.getFirst()).equals(arguments) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return pid;
    }

    /** The tasks in any of those cgroups. */
    private static List<String> stockadeTasks() throws Exception {
        List<String> tasks = new ArrayList<>();
        for (Path cgroup : StockadeCgroups.onThisMachine()) {
            tasks.addAll(Files.readAllLines(cgroup.resolve("cgroup.procs")));
        }
        return tasks;
    }

    private static void awaitGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (alive(pid) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    /** Running and not a zombie, as `ps` would show it. */
    private static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return !stat.substring(stat.lastIndexOf(") ") + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static String startTime(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.substring(stat.lastIndexOf(") ") + 2).split(" ")[19];
    }
}
