package dev.stockade.installer;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.node.NodeMetrics;
import dev.stockade.installer.host.HostProcesses;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.specserver.SpecServerControl;
import dev.stockade.testing.HostPrerequisites;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as an admin uses it: help, errors, exit codes, install/status/uninstall. */
class InstallerMainTest {

    @TempDir
    Path directory;

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final List<Process> standIns = new ArrayList<>();

    private int run(Map<String, String> environment, String... args) {
        return InstallerMain.run(List.of(args), environment, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> {
                    throw new AssertionError("no API server in this test: NODE_NAME is unset");
                });
    }

    /** A fake host with stock containerd 1.x's config. */
    private FakeHostAccess containerdHost() throws Exception {
        FakeHostAccess host = new FakeHostAccess(directory);
        host.write("/etc/containerd/config.toml", Flavour.CONTAINERD_1_CONFIG);
        return host;
    }

    private static Map<String, String> installEnvironment(FakeHostAccess host) {
        Map<String, String> environment = new HashMap<>(host.environment());
        environment.put(InstallerEnvironment.POLICY, "untrusted-code");
        return environment;
    }

    @Test
    void helpDocumentsEveryEnvironmentVariableOfTheContract() throws Exception {
        assertEquals(0, run(Map.of(), "--help"));

        String help = out.toString();
        for (Field field : InstallerEnvironment.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class && !field.getName().startsWith("DEFAULT_")) {
                assertTrue(help.contains((String) field.get(null)), field.getName() + " missing from --help:\n" + help);
            }
        }
        for (String command : InstallerConfig.COMMANDS) {
            assertTrue(help.contains("  " + command + " "), command + " missing from --help");
        }
    }

    @Test
    void unknownCommandAndBadSettingsFailWithAMessageNamingTheSetting() {
        assertEquals(2, run(Map.of(), "reinstall"));
        assertTrue(err.toString().contains("unknown command 'reinstall'; use one of install, uninstall, status, run"), err.toString());

        err.reset();
        assertEquals(2, run(Map.of(InstallerEnvironment.POLICY, "p"), "install"));
        assertTrue(err.toString().contains("no handlers: set STOCKADE_HANDLERS"), err.toString());

        err.reset();
        assertEquals(2, run(Map.of(InstallerEnvironment.POLICY, "p", InstallerEnvironment.HANDLERS, "gpu=../../bin/sh"), "install"));
        assertTrue(err.toString().contains("handler name '../../bin/sh' of runtime class 'gpu'"), err.toString());

        err.reset();
        assertEquals(2, run(Map.of(), "install", "--hots-root=/x"));
        assertTrue(err.toString().contains("unknown option '--hots-root=/x'"), err.toString());
    }

    /** A node whose kubelet keeps pods elsewhere (MicroK8s): the handlers' launchers tell the runtime. */
    @Test
    void theKubeletRootReachesTheHandlersLaunchers() throws Exception {
        FakeHostAccess host = containerdHost();
        Map<String, String> environment = installEnvironment(host);
        environment.put(InstallerEnvironment.KUBELET_ROOT, "/var/snap/microk8s/common/var/lib/kubelet");
        assertEquals(0, run(environment, "install"), err.toString());
        String launcher = host.snapshot().get(FakeHost.HANDLERS.getFirst().launcher());
        assertTrue(launcher.contains("\nSTOCKADE_KUBELET_ROOT=/var/snap/microk8s/common/var/lib/kubelet\nexport STOCKADE_KUBELET_ROOT\n"), launcher);

        err.reset();
        environment.put(InstallerEnvironment.KUBELET_ROOT, "/var/lib/kubelet; rm -rf /");
        assertEquals(2, run(environment, "install"));
        assertTrue(err.toString().contains("--kubelet-root-dir (STOCKADE_KUBELET_ROOT): '/var/lib/kubelet; rm -rf /' must be a normalized absolute path"),
                err.toString());
    }

    /**
     * A MicroK8s node, with the policy's kubeletRootDir left at its default: the root kubelite gives
     * its kubelet reaches the launchers; a k3s config.yaml the installer cannot read stops the install
     * with the file named.
     */
    @Test
    void theRunningKubeletsRootReachesTheHandlersLaunchersAndABadConfigYamlStopsTheInstall() throws Exception {
        HostPrerequisites.requireRoot(); // the installer reads root's processes only; the tree's /proc is the test's user's
        FakeHostAccess host = containerdHost();
        host.write("/proc/2116/comm", "kubelite\n");
        host.write("/proc/2116/cmdline", "/snap/microk8s/9044/kubelite\0--kubelet-args-file=/var/snap/microk8s/9044/args/kubelet\0");
        host.write("/proc/2116/environ", "SNAP=/snap/microk8s/9044\0SNAP_COMMON=/var/snap/microk8s/common\0");
        host.write("/var/snap/microk8s/9044/args/kubelet", "--kubeconfig=${SNAP_DATA}/credentials/kubelet.config\n"
                + "--root-dir=${SNAP_COMMON}/var/lib/kubelet\n");
        Map<String, String> environment = installEnvironment(host);
        environment.put(InstallerEnvironment.KUBELET_ROOT, InstallerEnvironment.DEFAULT_KUBELET_ROOT);
        assertEquals(0, run(environment, "install"), err.toString());
        String launcher = host.snapshot().get(FakeHost.HANDLERS.getFirst().launcher());
        assertTrue(launcher.contains("\nSTOCKADE_KUBELET_ROOT=/var/snap/microk8s/common/var/lib/kubelet\nexport STOCKADE_KUBELET_ROOT\n"), launcher);

        Files.delete(host.root().resolve("proc/2116/comm"));
        host.write("/proc/640/comm", "k3s-server\n");
        host.write("/proc/640/cmdline", "/usr/local/bin/k3s\0server\0");
        host.write("/proc/640/environ", "");
        host.write("/etc/rancher/k3s/config.yaml", "kubelet-arg: [root-dir=/data\n");
        err.reset();
        assertEquals(1, run(environment, "install"));
        assertTrue(err.toString().contains("/etc/rancher/k3s/config.yaml is not valid YAML ("), err.toString());
    }

    /** containerd keeping its data elsewhere: the launchers name its real root and state, read from its configuration. */
    @Test
    void theEnginesDirectoriesFromItsConfigurationReachTheHandlersLaunchers() throws Exception {
        FakeHostAccess host = new FakeHostAccess(directory);
        host.write("/etc/containerd/config.toml", Flavour.CONTAINERD_1_CONFIG.replace("root = \"/var/lib/containerd\"", "root = \"/data/containerd\""));
        assertEquals(0, run(installEnvironment(host), "install"), err.toString());
        String launcher = host.snapshot().get(FakeHost.HANDLERS.getFirst().launcher());
        assertTrue(launcher.contains("\nSTOCKADE_ENGINE_DIRECTORIES='containerd:/data/containerd containerd:/run/containerd'\n"
                + "export STOCKADE_ENGINE_DIRECTORIES\n"), launcher);
    }

    @Test
    void installStatusUninstallThroughTheCommandLine() throws Exception {
        FakeHostAccess host = containerdHost();
        Map<String, String> before = host.snapshot();
        Map<String, String> environment = installEnvironment(host);

        assertEquals(0, run(environment, "install"), err.toString());
        assertTrue(out.toString().contains("installed Stockade runtime 0.1.0-test"), out.toString());
        assertTrue(out.toString().contains("container runtime restarted"), out.toString());

        out.reset();
        assertEquals(0, run(environment, "status"), err.toString());
        assertTrue(out.toString().contains("stockade-untrusted"), out.toString());
        assertTrue(out.toString().contains("containers running through the handlers: none"), out.toString());

        java.nio.file.Files.delete(directory.resolve("host/etc/stockade/profiles/strict.json"));
        assertEquals(1, run(environment, "status"));
        assertTrue(err.toString().contains("profile /etc/stockade/profiles/strict.json of handler stockade-strict is missing"), err.toString());

        out.reset();
        assertEquals(0, run(environment, "install"), err.toString());
        assertTrue(out.toString().contains("container runtime not restarted"), out.toString());
        assertEquals(1, host.restarts());

        assertEquals(0, run(environment, "uninstall"), err.toString());
        assertEquals(before, host.snapshot());
        assertEquals(2, host.restarts());

        out.reset();
        assertEquals(1, run(environment, "status"));
        assertTrue(out.toString().contains("not installed"), out.toString());
    }

    /** A runtime class without a profile file: nothing is changed, and the message says where the file goes and what it is named. */
    @Test
    void aMissingProfileStopsTheInstallNamingTheFileAndWhereItGoes() throws Exception {
        FakeHostAccess host = containerdHost();
        Map<String, String> before = host.snapshot();
        Map<String, String> environment = installEnvironment(host);
        environment.put(InstallerEnvironment.HANDLERS, "gpu=stockade-gpu");

        assertEquals(1, run(environment, "install"));
        assertTrue(err.toString().contains("no profile for runtime class 'gpu'"), err.toString());
        assertTrue(err.toString().contains("The profile source (--profile-source, STOCKADE_PROFILE_SOURCE; in the DaemonSet the policy's "
                + "ConfigMap) must hold gpu.json, named after the runtime class before '=' in --handlers."), err.toString());
        assertEquals(before, host.snapshot(), "nothing changed on the host");
    }

    @Test
    void uninstallRefusesWhileAContainerRunsThroughAHandlerUnlessForced() throws Exception {
        FakeHostAccess host = containerdHost();
        Map<String, String> environment = installEnvironment(host);
        assertEquals(0, run(environment, "install"), err.toString());
        // What containerd's runc shim keeps in a running task's bundle: its runtime options.
        host.write("/run/containerd/io.containerd.runtime.v2.task/k8s.io/4f1e/options.json",
                "{\"binary_name\":\"/opt/stockade/handlers/stockade-strict\"}");

        assertEquals(1, run(environment, "uninstall"));
        assertTrue(err.toString().contains("1 container(s) still run through Stockade's handlers"), err.toString());
        assertTrue(err.toString().contains("k8s.io/4f1e"), err.toString());
        assertTrue(err.toString().contains("--force"), err.toString());
        assertEquals(1, host.restarts(), "nothing was undone");

        assertEquals(0, run(environment, "uninstall", "--force"), err.toString());
        assertEquals(2, host.restarts());
    }

    /**
     * An installer given another host root than the node's (a test's tree, a second install) on a
     * machine where the node's daemons run: it sees this machine's /proc, where the node's
     * supervisor and spec server carry exactly the arguments it would give its own.
     */
    @Test
    void anInstallAndUninstallOnAnotherHostRootLeaveTheNodesSupervisorAndSpecServerRunning() throws Exception {
        Process supervisor = standIn(List.of("/opt/stockade/current/supervisor-jre/bin/java", "--enable-native-access=ALL-UNNAMED",
                "-cp", "/opt/stockade/current/lib/supervisor/*", "dev.stockade.supervisor.SupervisorMain",
                "run", "--socket", HostLayout.SUPERVISOR_SOCKET, "--metrics-socket", NodeMetrics.SUPERVISOR_SOCKET, "--metrics", "off"));
        Process specServer = standIn(List.of("/opt/stockade/releases/0.1.0-1234abcd/jre/bin/java", "--enable-native-access=ALL-UNNAMED",
                "-cp", "/opt/stockade/releases/0.1.0-1234abcd/lib/stockade-sandbox-runtime.jar", "dev.stockade.runtime.server.SpecServer",
                "--dir", HostLayout.SPEC_SERVER_DIR, "--metrics-socket", NodeMetrics.SPEC_SERVER_SOCKET));
        FakeHostAccess host = containerdHost();
        // A payload with a spec server: the install replaces whatever spec server it takes for its own.
        Path specServerLauncher = host.payload().resolve("bin/stockade-spec-server");
        Files.writeString(specServerLauncher, "#!/bin/sh\necho 'not to be started on this machine' >&2\nexit 99\n");
        Files.setPosixFilePermissions(specServerLauncher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> environment = installEnvironment(host);

        assertEquals(0, run(environment, "install"), err.toString());
        assertTrue(supervisor.isAlive() && specServer.isAlive(), "the install left the node's daemons running: " + out);
        // Started through PID 1's namespaces, it would serve the node's /run/stockade, not this tree's.
        assertTrue(out.toString().contains("spec server not running (each create starts a JVM): cannot start the spec-server for the host root "
                + host.root() + ": "), out.toString());
        assertFalse(Files.exists(new HostRoot(host.root()).resolve(HostProcesses.records(SpecServerControl.DAEMON))), "nothing was recorded");

        assertEquals(0, run(environment, "uninstall"), err.toString());
        assertTrue(supervisor.isAlive(), "the uninstall left the node's supervisor running");
        assertTrue(specServer.isAlive(), "the uninstall left the node's spec server running");
    }

    /** A process whose arguments are {@code arguments}, doing nothing until the test ends. */
    private Process standIn(List<String> arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "while :; do sleep 1; done", "stand-in"));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        standIns.add(process);
        return process;
    }

    @AfterEach
    void stopStandIns() {
        standIns.forEach(Process::destroyForcibly);
    }
}
