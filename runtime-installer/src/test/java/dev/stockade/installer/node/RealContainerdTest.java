package dev.stockade.installer.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.profile.KernelIdentity;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.installer.InstallerConfig;
import dev.stockade.installer.InstallerMain;
import dev.stockade.installer.host.HostProcesses;
import dev.stockade.installer.host.StockadeCgroups;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.runtime.Handler;
import dev.stockade.installer.verify.CommandVerifier;
import dev.stockade.installer.verify.HandlerVerifier;
import dev.stockade.installer.supervisor.SupervisorControl;
import dev.stockade.testing.BusyboxImage;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.HostPrerequisites;
import dev.stockade.testing.PrivateContainerd;
import dev.stockade.testing.RestartRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The installer against a real containerd 1.6 (Debian's) that the test starts as root with its own
 * config, root and socket, and the real runtime payload: install, containerd restarted through the
 * command restarter, {@code containerd config dump} keeps the host's other CRI settings, a busybox
 * container runs through the handler's launcher, uninstall refuses while one runs, and afterwards
 * the config file is byte for byte as before.
 *
 * <p>Writes /opt/stockade and /etc/stockade/profiles on this machine (the host root is /, since
 * containerd must find the launchers at their real paths) and removes them with the uninstall.
 */
class RealContainerdTest {

    static final String HANDLER = "stockade-untrusted";
    static final String LAUNCHER = "/opt/stockade/handlers/" + HANDLER;
    static final String CRI = "io.containerd.grpc.v1.cri";

    @TempDir
    Path directory;

    @Test
    void installRestartRunUninstallOnARealContainerd() throws Exception {
        Path payload = requireHostAndPayload(List.of(), "bin/stockade-runtime",
                "the sandbox runtime payload (dev.stockade:stockade-sandbox-runtime, classifier payload)");
        boolean etcStockadeExisted = Files.exists(Path.of("/etc/stockade"));

        Path workDir = directory.resolve("containerd");
        Files.createDirectories(workDir);
        Path config = workDir.resolve("config.toml");
        Files.writeString(config, PrivateContainerd.baseConfig(workDir).replace("disabled_plugins = [\"" + CRI + "\"]\n", "") + """

                # The node's own CRI settings, which Stockade's drop-in must keep.
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "registry.example/pause:3.9"
                  restrict_oom_score_adj = true
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "%1$s/cni/bin"
                    conf_dir = "%1$s/cni/net.d"
                  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
                    endpoint = ["https://mirror.example.com"]
                """.formatted(workDir));
        byte[] originalConfig = Files.readAllBytes(config);
        Path profiles = Files.createDirectories(directory.resolve("profiles"));
        Files.writeString(profiles.resolve("untrusted.json"), Profiles.render(SandboxProfile.defaults()));

        try (PrivateContainerd containerd = PrivateContainerd.start(workDir, config);
             RestartRequests restarts = new RestartRequests(containerd)) {
            JsonNode dumpBefore = configDump(config);
            assertEquals("registry.example/pause:3.9", dumpBefore.at("/plugins/" + CRI + "/sandbox_image").asText());
            String image = containerd.importImage(BusyboxImage.ociArchive(BusyboxImage.rootfs(directory.resolve("rootfs")), directory));
            String ctrRun = "ctr --address " + containerd.socket() + " run --rm " + String.join(" ", containerd.privateRunOptions());
            // The installer's own verification: a busybox container through the handler's launcher.
            Map<String, String> environment = installEnvironment(payload, profiles, config, "command:" + restarts.command(),
                    containerd.socket().toString(), "command:" + ctrRun + " --runc-binary \"$2\" " + image + " verify-$1 /bin/true");

            Output install = run(environment, "install");
            assertEquals(0, install.exitCode(), install.text());
            assertEquals(1, restarts.count(), "containerd restarted once through the command restarter");

            JsonNode dump = configDump(config);
            JsonNode cri = dump.path("plugins").path(CRI);
            assertEquals(LAUNCHER, cri.at("/containerd/runtimes/" + HANDLER + "/options/BinaryName").asText(), cri.toString());
            assertEquals("io.containerd.runc.v2", cri.at("/containerd/runtimes/" + HANDLER + "/runtime_type").asText());
            assertChangedOnlyByHandler(dumpBefore, dump, CRI);
            assertCriPluginLoads(containerd, "with the drop-in");

            assertHandlerAppliesTheProfile(containerd, image);

            // The DaemonSet's default verification after the file checks, on this real install: the
            // launcher finds runc, and the payload's JRE starts on this host's C library.
            HandlerVerifier filesChecked = new HandlerVerifier() {
                @Override
                public void verify(List<Handler> handlers) {
                }

                @Override
                public String describe() {
                    return "files";
                }
            };
            CommandVerifier.launcherVersion(filesChecked, "/", Duration.ofSeconds(60)).verify(List.of(new Handler("untrusted", HANDLER)));

            // The spec server the install started runs and sees the creates.
            assertTrue(install.text().contains("spec server serving on " + HostLayout.SPEC_SERVER_DIR), install.text());
            List<Long> specServers = specServers();
            assertEquals(1, specServers.size(), "one spec server runs after the install: " + specServers);
            assertInStockadeCgroups(specServers.getFirst());
            assertHostMountRefused(containerd, image);

            Output reinstall = run(environment, "install");
            assertEquals(0, reinstall.exitCode(), reinstall.text());
            assertEquals(1, restarts.count(), "nothing changed: no restart");
            assertEquals(specServers, specServers(), "a second pass keeps the running spec server");

            // Run mode's every pass: a spec server that died is started again, its leftovers replaced.
            ProcessHandle.of(specServers.getFirst()).ifPresent(ProcessHandle::destroyForcibly);
            awaitSpecServers(pids -> pids.isEmpty());
            Output repair = run(environment, "install");
            assertEquals(0, repair.exitCode(), repair.text());
            List<Long> restartedServers = specServers();
            assertEquals(1, restartedServers.size(), "one spec server again: " + restartedServers);
            assertNotEquals(specServers, restartedServers);
            assertEquals(Long.toString(restartedServers.getFirst()),
                    Files.readString(Path.of(HostLayout.SPEC_SERVER_DIR, "pid")).strip());

            containerd.ctr(List.of("run", "-d", "--fifo-dir", workDir.resolve("fifo").toString(), "--runc-root", workDir.resolve("runc").toString(),
                    "--runc-binary", LAUNCHER, image, "still-running", "sleep", "120").toArray(String[]::new)).requireSuccess();
            Output refused = run(environment, "uninstall");
            assertEquals(1, refused.exitCode(), refused.text());
            assertTrue(refused.text().contains("still-running"), refused.text());
            stop(containerd, "still-running");

            Output uninstall = run(environment, "uninstall");
            assertEquals(0, uninstall.exitCode(), uninstall.text());
            assertEquals(2, restarts.count(), "one restart to drop the handler");
            assertArrayEquals(originalConfig, Files.readAllBytes(config), "config.toml is byte for byte as before");
            assertEquals(List.of(), specServers(), "uninstall stopped the spec server");
            assertFalse(Files.exists(Path.of(HostLayout.SPEC_SERVER_DIR)), "and removed its directory");
            assertFalse(Files.exists(Path.of(HostLayout.SPEC_SERVER_LOG)), "and its log");
            assertEquals(List.of(), StockadeCgroups.onThisMachine(), "and the daemons' cgroups");
            assertFalse(Files.exists(workDir.resolve("conf.d")), "the drop-in and its directory are gone");
            assertFalse(Files.exists(Path.of("/opt/stockade")));
            assertEquals(etcStockadeExisted, Files.exists(Path.of("/etc/stockade")));
            assertEquals(dumpBefore, configDump(config));
        } finally {
            // Never leave the machine with a half-removed install when an assertion failed midway.
            uninstallLeftovers(config);
        }
    }

    /**
     * A profile with a kernel identity: the installer starts the payload's supervisor, a busybox
     * container through the handler sees kernel 4.4.0 while the same one under runc sees the host's,
     * and uninstall stops the supervisor, leaving neither its process nor its socket.
     */
    @Test
    void kernelIdentityProfileStartsTheSupervisorAndUninstallStopsIt() throws Exception {
        Path payload = requireHostAndPayload(List.of("setsid"), "bin/stockade-supervisor",
                "the supervisor payload (dev.stockade:stockade-supervisor, classifier payload)");
        assertFalse(Files.exists(Path.of(HostLayout.STATE_DIR)), HostLayout.STATE_DIR + " exists already: another Stockade install, or what a "
                + "test left behind, is on this machine: " + listing(Path.of(HostLayout.STATE_DIR)));
        assertTrue(supervisors().isEmpty(), "a Stockade supervisor already runs on this machine: " + supervisors());
        Path socket = Path.of(HostLayout.SUPERVISOR_SOCKET);

        Path workDir = Files.createDirectories(directory.resolve("containerd"));
        Path config = workDir.resolve("config.toml");
        Files.writeString(config, PrivateContainerd.baseConfig(workDir));
        Path profiles = Files.createDirectories(directory.resolve("profiles"));
        Files.writeString(profiles.resolve("untrusted.json"), Profiles.render(new SandboxProfile(null, null, null, null, null, null, null,
                null, null, new KernelIdentity(null, "4.4.0", null, null), null)));
        try (PrivateContainerd containerd = PrivateContainerd.start(workDir, config)) {
            String image = containerd.importImage(BusyboxImage.ociArchive(BusyboxImage.rootfs(directory.resolve("rootfs")), directory));
            Map<String, String> environment = installEnvironment(payload, profiles, config, "command:true", "none", "files");

            Output install = run(environment, "install");
            assertEquals(0, install.exitCode(), install.text());
            assertEquals(1, supervisors().size(), "one supervisor runs after the install: " + supervisors() + "\n" + install.text());
            assertTrue(Files.exists(socket), HostLayout.SUPERVISOR_SOCKET + " exists");
            assertInStockadeCgroups(supervisors().getFirst());

            String hostRelease = Commands.run("uname", "-r").requireSuccess().stdout().strip();
            CommandResult plain = containerd.run(image, "plain-uname", List.of(), "uname", "-r").requireSuccess();
            CommandResult sandboxed = containerd.run(image, "sandboxed-uname", List.of("--runc-binary", LAUNCHER), "uname", "-r");
            assertEquals(hostRelease, plain.stdout().strip(), "runc shows the host's kernel");
            assertEquals("4.4.0", sandboxed.stdout().strip(), "the handler's container sees the profile's kernel: " + sandboxed);

            // An installer given another host root on this machine (a test's tree, a second install)
            // sees this /proc, where this install's daemons carry the arguments it would give its own.
            List<Long> supervisorsBefore = supervisors();
            List<Long> specServersBefore = specServers();
            assertEquals(1, specServersBefore.size(), install.text());
            Path otherRoot = Files.createDirectories(directory.resolve("other-host"));
            Output other = run(Map.of(InstallerEnvironment.HOST_ROOT, otherRoot.toString(), InstallerEnvironment.CONTAINER_RUNTIME, "containerd",
                    InstallerConfig.CONTAINERD_CONFIG, "/etc/containerd/config.toml", InstallerConfig.RESTART, "command:true",
                    InstallerConfig.RUNTIME_SOCKET, "none"), "uninstall", "--force");
            assertEquals(0, other.exitCode(), other.text());
            assertEquals(supervisorsBefore, supervisors(), "an uninstall on another host root left this one's supervisor running");
            assertEquals(specServersBefore, specServers(), "and its spec server");

            Output reinstall = run(environment, "install");
            assertEquals(0, reinstall.exitCode(), reinstall.text());
            assertEquals(1, supervisors().size(), "a second pass keeps the running supervisor: " + supervisors());
            assertEquals(specServersBefore, specServers(), "and the running spec server");

            // The policy moves the metrics endpoint: a new supervisor takes over and serves there.
            long beforeMove = supervisors().getFirst();
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            Map<String, String> moved = new HashMap<>(environment);
            moved.put(InstallerEnvironment.SUPERVISOR_METRICS, "127.0.0.1:" + port);
            Output move = run(moved, "install");
            assertEquals(0, move.exitCode(), move.text());
            List<Long> afterMove = awaitSupervisors(pids -> pids.size() == 1 && !pids.contains(beforeMove));
            assertEquals(1, afterMove.size(), "the supervisor with the old address handed over and exited: " + afterMove);
            assertEquals("4.4.0", containerd.run(image, "after-move", List.of("--runc-binary", LAUNCHER), "uname", "-r")
                    .requireSuccess().stdout().strip());
            String metrics;
            try (HttpClient http = HttpClient.newHttpClient()) {
                metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
            }
            assertTrue(metrics.lines().anyMatch(line -> line.matches("stockade_supervisor_uname_emulated_total [1-9][0-9]*")), metrics);

            // Run mode's every pass: a supervisor that died is started again.
            long killed = supervisors().getFirst();
            ProcessHandle.of(killed).ifPresent(ProcessHandle::destroyForcibly);
            awaitSupervisors(pids -> !pids.contains(killed));
            // A dying process loses its command line before its files: wait until nothing answers on the
            // socket any more (the state this pass must repair), or it would rightly keep what answers.
            SupervisorControl nodeSupervisor = SupervisorControl.forNode(new HostRoot(Path.of("/")), Optional.empty(), "off");
            long quietBy = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (nodeSupervisor.answers()) {
                assertTrue(System.nanoTime() < quietBy, "something still answers on " + socket + " 10 s after the supervisor was killed");
                Thread.sleep(20);
            }
            Output repair = run(environment, "install");
            assertEquals(0, repair.exitCode(), repair.text());
            List<Long> restarted = supervisors();
            assertEquals(1, restarted.size(), "exactly one supervisor again: " + restarted + "\n" + repair.text()
                    + "\nsupervisor log:\n" + tail(Path.of(HostLayout.SUPERVISOR_LOG))
                    + "\nlisteners:\n" + Commands.run("sh", "-c", "ss -xlp | grep -F supervisor; ps -eo pid,ppid,stat,args | grep -F Supervisor").stdout());
            assertEquals("4.4.0", containerd.run(image, "after-restart", List.of("--runc-binary", LAUNCHER), "uname", "-r")
                    .requireSuccess().stdout().strip());

            // A new release: the new supervisor takes over on the same socket and the old one exits.
            Path nextPayload = directory.resolve("next-payload");
            Commands.run("cp", "-al", payload.toString(), nextPayload.toString()).requireSuccess();
            Files.delete(nextPayload.resolve("VERSION"));
            Files.writeString(nextPayload.resolve("VERSION"), "0.1.1-next\n");
            Map<String, String> upgradeEnvironment = new HashMap<>(environment);
            upgradeEnvironment.put(InstallerConfig.PAYLOAD, nextPayload.toString());
            Output upgrade = run(upgradeEnvironment, "install");
            assertEquals(0, upgrade.exitCode(), upgrade.text());
            List<Long> afterUpgrade = awaitSupervisors(pids -> pids.size() == 1 && !pids.contains(restarted.getFirst()));
            assertEquals(1, afterUpgrade.size(), "the old supervisor handed over and exited: " + afterUpgrade);
            assertEquals("4.4.0", containerd.run(image, "after-upgrade", List.of("--runc-binary", LAUNCHER), "uname", "-r")
                    .requireSuccess().stdout().strip());

            Output uninstall = run(upgradeEnvironment, "uninstall");
            assertEquals(0, uninstall.exitCode(), uninstall.text());
            assertEquals(List.of(), supervisors(), "uninstall stopped the supervisor");
            assertFalse(Files.exists(socket), "uninstall left no socket");
            assertFalse(Files.exists(Path.of(HostLayout.handoverSocket(HostLayout.SUPERVISOR_SOCKET))), "uninstall left no handover socket");
            assertFalse(Files.exists(Path.of(HostLayout.SUPERVISOR_LOG)), "nor the supervisor's log");
            assertEquals(List.of(), StockadeCgroups.onThisMachine(), "nor the daemons' cgroups");
            assertFalse(Files.exists(Path.of(HostLayout.STATE_DIR)), "nor the daemons' state directory: " + listing(Path.of(HostLayout.STATE_DIR)));
            assertFalse(Files.exists(Path.of("/opt/stockade")));
        } finally {
            uninstallLeftovers(config);
        }
    }

    /**
     * Root, containerd and the tools the test uses, the built payload with {@code binary}, and no
     * other Stockade install on this machine; returns the payload.
     */
    static Path requireHostAndPayload(List<String> moreExecutables, String binary, String what) {
        HostPrerequisites.requireRoot();
        List<String> executables = new ArrayList<>(List.of("containerd", "ctr", "runc", "busybox", "umoci", "unshare"));
        executables.addAll(moreExecutables);
        executables.forEach(HostPrerequisites::requireExecutable);
        Path payload = Path.of(System.getProperty("stockade.payload", "target/payload")).toAbsolutePath();
        HostPrerequisites.require(Files.isExecutable(payload.resolve(binary)), what + " unpacked at " + payload);
        assertFalse(Files.exists(Path.of("/opt/stockade")), "/opt/stockade exists already: another Stockade install is on this machine");
        return payload;
    }

    static Map<String, String> installEnvironment(Path payload, Path profiles, Path config, String restart, String runtimeSocket,
                                                          String verify) {
        return installEnvironment(payload, profiles, Map.of(InstallerEnvironment.CONTAINER_RUNTIME, "containerd",
                InstallerConfig.CONTAINERD_CONFIG, config.toString()), restart, runtimeSocket, verify);
    }

    /**
     * The installer's settings for the handler {@link #HANDLER} in the host root /, with {@code engine}
     * the settings that name the engine (STOCKADE_CONTAINER_RUNTIME and what goes with it).
     */
    static Map<String, String> installEnvironment(Path payload, Path profiles, Map<String, String> engine, String restart,
                                                  String runtimeSocket, String verify) {
        Map<String, String> environment = new HashMap<>(engine);
        environment.putAll(Map.of(
                InstallerEnvironment.POLICY, "untrusted-code",
                InstallerEnvironment.HANDLERS, "untrusted=" + HANDLER,
                InstallerEnvironment.HOST_ROOT, "/",
                InstallerEnvironment.PROFILE_SOURCE, profiles.toString(),
                InstallerConfig.PAYLOAD, payload.toString(),
                InstallerConfig.RESTART, restart,
                InstallerConfig.RUNTIME_SOCKET, runtimeSocket,
                InstallerConfig.VERIFY, verify));
        return Map.copyOf(environment);
    }

    /** Supervisor processes once {@code expected} holds of them, or after 20 s whatever they are. */
    private static List<Long> awaitSupervisors(Predicate<List<Long>> expected) throws InterruptedException {
        return await(RealContainerdTest::supervisors, expected);
    }

    private static List<Long> awaitSpecServers(Predicate<List<Long>> expected) throws InterruptedException {
        return await(RealContainerdTest::specServers, expected);
    }

    private static List<Long> await(Supplier<List<Long>> processes, Predicate<List<Long>> expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<Long> pids = processes.get();
        while (!expected.test(pids) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            pids = processes.get();
        }
        return pids;
    }

    /**
     * A daemon the installer started has left the installer's cgroups for the host's
     * {@code stockade} cgroup in every hierarchy: runc kills whatever is left in a hostPID
     * container's cgroups when the installer's pod stops.
     */
    private static void assertInStockadeCgroups(long pid) throws Exception {
        List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"));
        assertFalse(lines.isEmpty());
        for (String line : lines) {
            assertTrue(line.endsWith(":/" + HostProcesses.CGROUP), "daemon " + pid + " is in " + lines);
        }
    }

    /** What is under {@code directory}, for a failure message. */
    private static List<String> listing(Path directory) {
        try (var paths = Files.walk(directory)) {
            return paths.map(Path::toString).toList();
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return List.of(e.toString());
        }
    }

    /** Spec servers on this machine serving the node's directory (the runtime's own tests use others). */
    private static List<Long> specServers() {
        return ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").matches(
                        ".*dev\\.stockade\\.runtime\\.server\\.SpecServer --dir " + HostLayout.SPEC_SERVER_DIR + "( .*)?"))
                .map(ProcessHandle::pid).toList();
    }

    /** Supervisor processes on this machine serving the node's socket (the supervisor's own tests use others). */
    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (java.io.IOException e) {
            return "(" + file + ": " + e.getMessage() + ")";
        }
    }

    private static List<Long> supervisors() {
        return ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").matches(
                        ".*dev\\.stockade\\.supervisor\\.SupervisorMain .*--socket " + HostLayout.SUPERVISOR_SOCKET + "( .*)?"))
                .map(ProcessHandle::pid).toList();
    }

    static JsonNode configDump(Path config) throws Exception {
        return configDump("containerd", config);
    }

    /** {@code containerd config dump} of {@code config} by the program {@code containerd} (a path, or a name on PATH). */
    static JsonNode configDump(String containerd, Path config) throws Exception {
        CommandResult dump = Commands.run(containerd, "--config", config.toString(), "config", "dump").requireSuccess();
        return new TomlMapper().readTree(dump.stdout());
    }

    /**
     * containerd's merged config after the install differs from before only by the handler in the
     * runtimes of CRI plugin {@code plugin} (and the drop-in in {@code imports}).
     */
    static void assertChangedOnlyByHandler(JsonNode before, JsonNode after, String plugin) {
        ObjectNode expected = before.deepCopy();
        ObjectNode actual = after.deepCopy();
        ((ObjectNode) actual.at("/plugins/" + plugin + "/containerd/runtimes")).remove(HANDLER);
        actual.remove("imports");
        expected.remove("imports");
        assertEquals(expected, actual, "every other setting of containerd's merged config is as before the install");
    }

    /**
     * The same busybox container through runc and through the handler's launcher: the sandbox
     * runtime applied the default profile, which drops capabilities such as NET_RAW that ctr's
     * default spec grants.
     */
    static void assertHandlerAppliesTheProfile(PrivateContainerd containerd, String image) {
        String capabilities = "grep CapEff /proc/self/status";
        CommandResult plain = containerd.run(image, "plain", List.of(), "sh", "-c", capabilities).requireSuccess();
        CommandResult sandboxed = containerd.run(image, "sandboxed", List.of("--runc-binary", LAUNCHER), "sh", "-c", capabilities)
                .requireSuccess();
        long plainCapabilities = Long.parseLong(plain.stdout().strip().split("\\s+")[1], 16);
        long sandboxedCapabilities = Long.parseLong(sandboxed.stdout().strip().split("\\s+")[1], 16);
        long netRaw = 1L << 13;
        assertTrue((plainCapabilities & netRaw) != 0, "runc keeps ctr's NET_RAW: " + plain.stdout());
        assertEquals(0, sandboxedCapabilities & netRaw, "the handler's runtime dropped NET_RAW: " + sandboxed.stdout());
    }

    /**
     * A bind mount of the host's / through the handler is refused, naming the rule. This test's
     * containerd runs in a mount namespace of its own (its own /run/containerd), whose files the
     * spec server the install started (in the host's) does not see: the server says so and the
     * launcher checks the spec with its own JVM, in containerd's namespace. (A node's engine shares
     * the host's mount namespace with the server; RuncContainersThroughSpecServerIT and the
     * benchmark's containerd show the server answering.)
     */
    static void assertHostMountRefused(PrivateContainerd containerd, String image) throws Exception {
        CommandResult hostMount = containerd.run(image, "host-mount", List.of("--runc-binary", LAUNCHER,
                "--mount", "type=bind,src=/,dst=/host,options=rbind:ro"), "true");
        assertNotEquals(0, hostMount.exitCode(), hostMount.describe());
        assertTrue(hostMount.stderr().contains("(rule host-mount)"), hostMount.describe());
        String log = Files.readString(Path.of(HostLayout.SPEC_SERVER_LOG));
        assertTrue(log.contains("the launcher is in another mount namespace"), "the spec server saw the create and left it to the launcher:\n" + log);
        assertFalse(log.contains("(rule host-mount)"), "the spec server checked no file of another mount namespace:\n" + log);
    }

    /** The keys of a table, in its order. */
    static List<String> fieldNames(JsonNode table) {
        List<String> names = new ArrayList<>();
        table.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Removes an install a failed assertion left on this machine (uninstall --force with {@code config}), if any. */
    static void uninstallLeftovers(Path config) {
        if (config != null) {
            uninstallLeftovers(Map.of(InstallerEnvironment.CONTAINER_RUNTIME, "containerd", InstallerConfig.CONTAINERD_CONFIG, config.toString()));
        }
    }

    /**
     * Removes an install a failed assertion left on this machine, if any: uninstall --force in the
     * host root /, with {@code engine} (the settings that name the engine and its config) and
     * neither restart nor socket wait.
     */
    static void uninstallLeftovers(Map<String, String> engine) {
        if (Files.exists(Path.of("/opt/stockade/installer-state.json"))) {
            Map<String, String> environment = new HashMap<>(engine);
            environment.putAll(Map.of(InstallerEnvironment.HOST_ROOT, "/", InstallerConfig.RESTART, "command:true",
                    InstallerConfig.RUNTIME_SOCKET, "none"));
            run(environment, "uninstall", "--force");
        }
    }

    /** {@code ctr plugins ls} shows containerd's CRI plugin loaded ({@code ok}); {@code how} says with what, for the message. */
    static void assertCriPluginLoads(PrivateContainerd containerd, String how) throws Exception {
        String plugins = containerd.ctr("plugins", "ls").requireSuccess().stdout();
        assertTrue(plugins.lines().map(line -> List.of(line.strip().split("\\s+")))
                        .anyMatch(columns -> columns.equals(List.of("io.containerd.grpc.v1", "cri", "linux/amd64", "ok"))),
                "the CRI plugin loads " + how + ":\n" + plugins + "\n" + Files.readString(containerd.logFile()));
    }

    private static void stop(PrivateContainerd containerd, String id) throws InterruptedException {
        containerd.ctr("task", "kill", "--signal", "SIGKILL", id);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (containerd.ctr("task", "delete", id).exitCode() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        containerd.ctr("container", "delete", id).requireSuccess();
    }

    record Output(int exitCode, String text) {
    }

    /** The installer's command line in this JVM, with {@code environment} as its whole environment (RealDockerTest's too). */
    static Output run(Map<String, String> environment, String... args) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(output, true, StandardCharsets.UTF_8);
        int exitCode = InstallerMain.run(List.of(args), environment, stream, stream, () -> {
            throw new AssertionError("NODE_NAME is unset: no API server in this test");
        });
        return new Output(exitCode, output.toString(StandardCharsets.UTF_8));
    }
}
