package dev.stockade.runtime.it;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.node.HostLayout;
import dev.stockade.runtime.server.SpecServer;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every container test of {@link RuncContainersIT} again, with the launcher asking a running spec
 * server instead of starting its own JVM: the same programs work, the same attacks fail with the
 * same messages, the container inherits the same fds and signal state. Then what happens when the
 * server is not there to answer.
 */
class RuncContainersThroughSpecServerIT extends RuncContainersIT {

    static SpecServerProcess server;

    @BeforeAll
    static void startSpecServer() throws Exception {
        server = SpecServerProcess.start(containers.payload, dir.resolve("spec-server"));
        containers.specServer = server.directory;
    }

    @AfterAll
    static void stopSpecServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private Map<String, String> environment(Path specServer) {
        Map<String, String> environment = new HashMap<>(containers.launcherEnvironment(untrusted));
        environment.put("STOCKADE_SPEC_SERVER", specServer.toString());
        return environment;
    }

    private CommandResult createAndDelete(String launcher, Map<String, String> environment, ObjectNode spec) {
        return createAndDelete(launcher, environment, containers.bundle(spec));
    }

    private CommandResult createAndDelete(String launcher, Map<String, String> environment, Path bundle) {
        String id = Containers.newId();
        String root = containers.stateRoot.toString();
        try {
            return Commands.run(Duration.ofSeconds(60), environment, List.of(launcher, "--root", root, "--log",
                    bundle.resolve("log.json").toString(), "--log-format", "json", "create", "--bundle", bundle.toString(), id));
        } finally {
            Commands.run(containers.runc.toString(), "--root", root, "delete", "--force", id);
        }
    }

    /** A launcher whose own JVM cannot start creates through the server alone, checked and hardened. */
    @Test
    @Override
    void subcommandsWithoutSpecNeedNoJvmAndABrokenJvmFailsClosed() throws Exception {
        String launcher = containers.launcherWithoutJre().toString();
        Path bundle = containers.bundle(containers.spec("true"));
        String id = Containers.newId();
        String root = containers.stateRoot.toString();
        try {
            CommandResult create = Commands.run(Duration.ofSeconds(30), environment(server.directory),
                    List.of(launcher, "--root", root, "create", "--bundle", bundle.toString(), id));
            assertEquals(0, create.exitCode(), create.describe());
            String hardened = Files.readString(bundle.resolve("config.json"));
            assertTrue(hardened.contains("\"noNewPrivileges\":true") && hardened.contains("SCMP_ACT_ERRNO"), hardened);
        } finally {
            Commands.run(containers.runc.toString(), "--root", root, "delete", "--force", id);
        }

        ObjectNode hostMount = containers.spec("true");
        hostMount.withArray("mounts").addObject().put("destination", "/host").put("type", "bind").put("source", "/")
                .putArray("options").add("rbind");
        CommandResult refused = createAndDelete(launcher, environment(server.directory), hostMount);
        assertEquals(1, refused.exitCode(), refused.describe());
        assertTrue(refused.stderr().startsWith("stockade: container ") && refused.stderr().contains("(rule host-mount)"), refused.describe());
        assertTrue(Files.readString(containers.log(refused)).contains("rule host-mount"));
        assertTrue(server.output().contains("rule host-mount"), "the server logs what it refused");
        assertEquals(List.of("pid", "requests"), filesSettled(server.directory), "a request leaves nothing behind");
    }

    /** The directory's files once the server has removed the last reply FIFO (just after answering). */
    private static List<String> filesSettled(Path directory) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            List<String> names;
            try (var files = Files.list(directory)) {
                names = files.map(p -> p.getFileName().toString()).sorted().toList();
            }
            if (names.stream().noneMatch(name -> name.matches("[0-9]+\\..*")) || System.nanoTime() > deadline) {
                return names;
            }
            Thread.sleep(20);
        }
    }

    /**
     * containerd creates a pod's containers, and many pods, at once: concurrent launchers each get
     * their own answer (every third spec asks for a host mount and only those are refused).
     */
    @Test
    void concurrentCreatesEachGetTheirOwnAnswer() throws Exception {
        String launcher = containers.launcherWithoutJre().toString();
        List<ObjectNode> specs = new ArrayList<>();
        for (int index = 0; index < 24; index++) {
            ObjectNode spec = containers.spec("true");
            if (index % 3 == 0) {
                spec.withArray("mounts").addObject().put("destination", "/host-" + index).put("type", "bind").put("source", "/")
                        .putArray("options").add("rbind");
            }
            specs.add(spec);
        }
        List<CommandResult> results;
        try (var pool = Executors.newFixedThreadPool(12)) {
            List<Future<CommandResult>> futures = specs.stream()
                    .map(spec -> pool.submit(() -> createAndDelete(launcher, environment(server.directory), spec))).toList();
            results = new ArrayList<>();
            for (var future : futures) {
                results.add(future.get());
            }
        }
        for (int index = 0; index < results.size(); index++) {
            CommandResult result = results.get(index);
            if (index % 3 == 0) {
                assertEquals(1, result.exitCode(), result.describe());
                assertTrue(result.stderr().contains("at /host-" + index + " is not allowed"), "its own refusal: " + result.describe());
            } else {
                assertEquals(0, result.exitCode(), result.describe());
            }
        }
        assertEquals(List.of("pid", "requests"), filesSettled(server.directory));
    }

    /**
     * A launcher killed (SIGKILL: no clean-up) after it asked is not answered: the server finds it
     * gone and removes its request's files.
     */
    @Test
    void aRequestWhoseLauncherIsGoneLeavesNothingBehind() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String id = Long.toString(gone.pid());
        Files.writeString(server.directory.resolve(id + ".args"), "create\0--bundle\0/nonexistent\0c\0");
        Files.writeString(server.directory.resolve(id + ".env"), "PWD=/\0STOCKADE_PROFILE=" + untrusted + "\0");
        Files.writeString(server.directory.resolve("requests"), id + "\n", StandardOpenOption.WRITE);
        assertEquals(List.of("pid", "requests"), filesSettled(server.directory));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!server.output().contains("request " + id + ": its launcher is gone") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(server.output().contains("request " + id + ": its launcher is gone; nothing to answer"), server.output());
    }

    /** Waits until {@code count} launchers have left their request in {@code directory} (their server cannot take it). */
    private static void awaitRequests(Path directory, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            long waiting;
            try (var files = Files.list(directory)) {
                waiting = files.filter(file -> file.getFileName().toString().matches("[0-9]+\\.env")).count();
            }
            if (waiting >= count) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "the launchers did not ask " + directory);
            Thread.sleep(20);
        }
    }

    private ObjectNode hostMount() {
        ObjectNode spec = containers.spec("true");
        spec.withArray("mounts").addObject().put("destination", "/host").put("type", "bind").put("source", "/")
                .putArray("options").add("rbind");
        return spec;
    }

    private static void assertHardened(Path bundle) throws Exception {
        String hardened = Files.readString(bundle.resolve("config.json"));
        assertTrue(hardened.contains("\"noNewPrivileges\":true") && hardened.contains("SCMP_ACT_ERRNO"), hardened);
    }

    /**
     * The server dies while launchers wait for its answer: each checks with its own JVM once its
     * watchdog ends (the launcher's timeout), so the host mount is still refused and the ordinary
     * container still hardened, and none waits longer.
     */
    @Test
    void aServerKilledMidRequestLeavesTheCheckToEachLaunchersJvm() throws Exception {
        Path killed = dir.resolve("killed-spec-server");
        String launcher = containers.payload.resolve("bin/stockade-runtime").toString();
        Path ordinary = containers.bundle(containers.spec("true"));
        try (SpecServerProcess doomed = SpecServerProcess.start(containers.payload, killed); var pool = Executors.newFixedThreadPool(2)) {
            // Stopped first, so that both requests are surely in flight when it dies.
            Commands.run("kill", "-STOP", Long.toString(doomed.process.pid())).requireSuccess();
            long start = System.nanoTime();
            Future<CommandResult> refused = pool.submit(() -> createAndDelete(launcher, environment(killed), hostMount()));
            Future<CommandResult> allowed = pool.submit(() -> createAndDelete(launcher, environment(killed), ordinary));
            awaitRequests(killed, 2);
            doomed.process.destroyForcibly().waitFor();
            CommandResult refusal = refused.get();
            CommandResult creation = allowed.get();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertEquals(1, refusal.exitCode(), refusal.describe());
            assertTrue(refusal.stderr().contains("(rule host-mount)"), refusal.describe());
            assertEquals(0, creation.exitCode(), creation.describe());
            assertHardened(ordinary);
            assertTrue(took.compareTo(SpecServer.LAUNCHER_TIMEOUT.plusSeconds(20)) < 0, "bounded by the launcher's timeout and a JVM: " + took);
        }
    }

    /**
     * Whatever writes on a launcher's reply pipe, only "0" and a complete "1 n" refusal are answers:
     * garbage, a look-alike of 0 and a refusal cut short (the writer gone) all leave the check to the
     * launcher's JVM, which refuses the host mount with its own message. The writer here is this test,
     * standing in for a broken server in a directory of its own.
     */
    @Test
    void anythingButTheTwoAnswersLeavesTheCheckToTheLaunchersJvm() throws Exception {
        Path broken = Files.createDirectories(dir.resolve("broken-spec-server"));
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwx------"));
        Commands.run("mkfifo", "-m", "600", broken.resolve("requests").toString()).requireSuccess();
        Files.writeString(broken.resolve("pid"), ProcessHandle.current().pid() + "\n");
        String launcher = containers.payload.resolve("bin/stockade-runtime").toString();
        try (RandomAccessFile requests = new RandomAccessFile(broken.resolve("requests").toFile(), "rw");
             var pool = Executors.newSingleThreadExecutor()) {
            for (String garbage : List.of("yes\n", "00\n", "0 1\n", "1 x\n", "1 3\nstockade: only one line of three\n")) {
                Future<CommandResult> create = pool.submit(() -> createAndDelete(launcher, environment(broken), hostMount()));
                String pid = requests.readLine().strip();
                Files.writeString(Path.of("/proc", pid, "fd", Integer.toString(HostLayout.SPEC_REQUEST_REPLY_FD)), garbage,
                        StandardOpenOption.WRITE);
                CommandResult result = create.get();
                assertEquals(1, result.exitCode(), garbage + ": " + result.describe());
                assertTrue(result.stderr().startsWith("stockade: container ") && result.stderr().contains("(rule host-mount)")
                        && !result.stderr().contains("only one line"), garbage + ": the JVM's refusal alone: " + result.describe());
            }
        }
    }

    /**
     * A server too slow to check within its deadline (stopped past it here) tells the launcher to
     * check the spec itself as soon as it runs again, before the launcher's own timeout, and its late
     * check leaves the bundle's spec to the launcher's JVM.
     */
    @Test
    void aServerTooSlowToCheckHandsTheCheckBackAtItsDeadline() throws Exception {
        Path slowDirectory = dir.resolve("slow-spec-server");
        String launcher = containers.payload.resolve("bin/stockade-runtime").toString();
        Path bundle = containers.bundle(containers.spec("true"));
        try (SpecServerProcess slow = SpecServerProcess.start(containers.payload, slowDirectory); var pool = Executors.newSingleThreadExecutor()) {
            String pid = Long.toString(slow.process.pid());
            Commands.run("kill", "-STOP", pid).requireSuccess();
            long start = System.nanoTime();
            Future<CommandResult> create;
            try {
                create = pool.submit(() -> createAndDelete(launcher, environment(slowDirectory), bundle));
                awaitRequests(slowDirectory, 1);
                Thread.sleep(SpecServer.ANSWER_DEADLINE.plusSeconds(1).minusNanos(System.nanoTime() - start));
            } finally {
                Commands.run("kill", "-CONT", pid);
            }
            CommandResult result = create.get();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertEquals(0, result.exitCode(), result.describe());
            assertHardened(bundle);
            assertTrue(took.compareTo(SpecServer.LAUNCHER_TIMEOUT.minusMillis(500)) < 0, "the server's answer, not the launcher's timeout: " + took);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!slow.output().contains("ran past its deadline") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(slow.output().contains("not checked within " + SpecServer.ANSWER_DEADLINE.toSeconds() + " s of the launcher's start"),
                    slow.output());
            assertTrue(slow.output().contains("cannot write the hardened spec: the check ran past its deadline"), slow.output());
        }
    }

    /** Only a pid names a request: a line reaching outside the server's directory touches nothing. */
    @Test
    void aRequestThatIsNoPidTouchesNothing() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim.reply"), "keep");
        Files.writeString(server.directory.resolve("requests"), "../victim\n", StandardOpenOption.WRITE);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!server.output().contains("ignored request line ../victim") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(server.output().contains("ignored request line ../victim: not a process id"), server.output());
        assertEquals("keep", Files.readString(victim));
    }

    /** A server that died without cleaning up (its pid file names no process) is not asked. */
    @Test
    void aDeadServerIsPassedOverForTheJvm() throws Exception {
        Path dead = dir.resolve("dead-spec-server");
        try (SpecServerProcess doomed = SpecServerProcess.start(containers.payload, dead)) {
            doomed.process.destroyForcibly().waitFor();
        }
        assertTrue(Files.exists(dead.resolve("requests")), "SIGKILL leaves the FIFO behind");
        CommandResult create = createAndDelete(containers.payload.resolve("bin/stockade-runtime").toString(), environment(dead),
                containers.spec("true"));
        assertEquals(0, create.exitCode(), create.describe());
        CommandResult withoutJre = createAndDelete(containers.launcherWithoutJre().toString(), environment(dead), containers.spec("true"));
        assertEquals(1, withoutJre.exitCode(), "without a server and without a JVM nothing is created unchecked");
        assertTrue(withoutJre.stderr().contains("the sandbox runtime failed"), withoutJre.describe());
    }

    /** A hung server costs a create the launcher's timeout, then its own JVM checks it. */
    @Test
    void aHungServerFallsBackToTheJvm() throws Exception {
        Path hung = dir.resolve("hung-spec-server");
        try (SpecServerProcess stopped = SpecServerProcess.start(containers.payload, hung)) {
            Commands.run("kill", "-STOP", Long.toString(stopped.process.pid())).requireSuccess();
            try {
                long start = System.nanoTime();
                CommandResult create = createAndDelete(containers.payload.resolve("bin/stockade-runtime").toString(), environment(hung),
                        containers.spec("true"));
                assertEquals(0, create.exitCode(), create.describe());
                assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() >= 9, "the launcher waited for the server first");
            } finally {
                Commands.run("kill", "-CONT", Long.toString(stopped.process.pid()));
            }
            assertEquals(List.of("pid", "requests"), filesSettled(hung), "the server, running again, removes the request of a launcher that is gone");
        }
    }

    /**
     * One pod's 20-million-character environment variable used to run the server out of heap
     * (it runs with 32 MiB) and so off for every pod of the node: now it is refused unparsed, and
     * the server answers the next create.
     */
    @Test
    void aHugeSpecIsRefusedByTheServerWhichThenAnswersTheNextCreate() throws Exception {
        String launcher = containers.launcherWithoutJre().toString();
        ObjectNode huge = containers.spec("true");
        huge.with("process").withArray("env").add("HUGE=" + "x".repeat(20_000_000));
        CommandResult refused = createAndDelete(launcher, environment(server.directory), huge);
        assertEquals(1, refused.exitCode(), refused.describe());
        assertTrue(refused.stderr().contains("config.json: cannot be read: it is 2000")
                && refused.stderr().contains("more than the 4194304 bytes (4 MiB) the sandbox runtime reads"), refused.describe());
        assertTrue(server.process.isAlive(), server.output());
        CommandResult next = createAndDelete(launcher, environment(server.directory), containers.spec("true"));
        assertEquals(0, next.exitCode(), "the server still answers: " + next.describe());
    }

    /**
     * Specs shaped to take the most heap per byte (nested one-element arrays, about 50 times their
     * text as a JSON tree) and specs of 3 MiB, all at once: the server checks each in turn or hands
     * it to the launcher's own JVM, and stays up.
     */
    @Test
    void specsShapedToFillTheServersHeapLeaveItServing() throws Exception {
        String launcher = containers.payload.resolve("bin/stockade-runtime").toString();
        List<ObjectNode> specs = new ArrayList<>();
        for (int index = 0; index < 8; index++) {
            ObjectNode spec = containers.spec("true");
            var padding = spec.putArray("x-padding");
            for (int unit = 0; unit < 3500; unit++) {
                var nested = padding.addArray();
                for (int depth = 0; depth < 39; depth++) {
                    nested = nested.addArray();
                }
            }
            specs.add(spec);
        }
        for (int index = 0; index < 2; index++) {
            ObjectNode spec = containers.spec("true");
            spec.with("process").withArray("env").add("BIG=" + "x".repeat(3 << 20));
            specs.add(spec);
        }
        List<CommandResult> results = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(specs.size())) {
            List<Future<CommandResult>> futures = specs.stream()
                    .map(spec -> pool.submit(() -> createAndDelete(launcher, environment(server.directory), spec))).toList();
            for (var future : futures) {
                results.add(future.get());
            }
        }
        for (CommandResult result : results) {
            assertEquals(0, result.exitCode(), result.describe());
        }
        assertTrue(server.process.isAlive(), server.output());
        CommandResult next = createAndDelete(containers.launcherWithoutJre().toString(), environment(server.directory), containers.spec("true"));
        assertEquals(0, next.exitCode(), "the server still answers: " + next.describe());
    }

    /** Whoever could write in the server's directory could answer for it: the server refuses to serve there. */
    @Test
    void theServerRefusesADirectoryOthersCanWrite() throws Exception {
        Path open = Files.createDirectories(dir.resolve("open-spec-server"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        CommandResult result = Commands.run(Duration.ofSeconds(30), Map.of(), List.of(
                containers.payload.resolve("bin/stockade-spec-server").toString(), "--dir", open.toString()));
        assertEquals(1, result.exitCode(), result.describe());
        assertTrue(result.stderr().contains("mode 0700"), result.describe());
        assertFalse(Files.exists(open.resolve("requests")));
    }
}
