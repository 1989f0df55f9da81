package dev.stockade.installer.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.installer.InstallerConfig;
import dev.stockade.testing.BuiltTools;
import dev.stockade.testing.PrivateContainerd;
import dev.stockade.testing.RestartRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.stockade.installer.node.RealContainerdTest.CRI;
import static dev.stockade.installer.node.RealContainerdTest.HANDLER;
import static dev.stockade.installer.node.RealContainerdTest.LAUNCHER;
import static dev.stockade.installer.node.RealContainerdTest.configDump;
import static dev.stockade.installer.node.RealContainerdTest.installEnvironment;
import static dev.stockade.installer.node.RealContainerdTest.requireHostAndPayload;
import static dev.stockade.installer.node.RealContainerdTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The smallest host configurations of issue 10 ("Installer faults found with real node
 * configurations") against Debian's containerd 1.6: what {@code containerd config dump} of the
 * real binary shows after install and uninstall, and (fault 4) what the running daemon loaded.
 *
 * <p>Writes /opt/stockade and /etc/stockade/profiles on this machine and removes them with the uninstall.
 */
class RealContainerdConfigsTest {

    @TempDir
    Path directory;

    Path config;

    @AfterEach
    void uninstallLeftovers() {
        // Never leave the machine with an install when an assertion failed midway.
        RealContainerdTest.uninstallLeftovers(config);
    }

    /** Payload, profiles and a config file with this content under the test's directory; the environment of a file-only install. */
    private Map<String, String> prepare(String configText) throws Exception {
        Path payload = requireHostAndPayload(List.of(), "bin/stockade-runtime", "the sandbox runtime payload");
        Path workDir = Files.createDirectories(directory.resolve("containerd"));
        config = workDir.resolve("config.toml");
        Files.writeString(config, configText.replace("WORKDIR", workDir.toString()));
        Path profiles = Files.createDirectories(directory.resolve("profiles"));
        Files.writeString(profiles.resolve("untrusted.json"), Profiles.render(SandboxProfile.defaults()));
        return installEnvironment(payload, profiles, config, "command:true", "none", "files");
    }

    /** Fault 1: install twice under a conf.d glob, uninstall: nothing of Stockade's left, the effective config as before. */
    @Test
    void uninstallUnderAConfDGlobLeavesNothingBehindAndTheEffectiveConfigAsBefore() throws Exception {
        boolean etcStockadeExisted = Files.exists(Path.of("/etc/stockade"));
        Map<String, String> environment = prepare("version = 2\nimports = [\"WORKDIR/conf.d/*.toml\"]\n");
        byte[] original = Files.readAllBytes(config);
        JsonNode before = configDump(config);

        RealContainerdTest.Output first = run(environment, "install");
        RealContainerdTest.Output second = run(environment, "install");
        assertEquals(0, first.exitCode(), first.text());
        assertEquals(0, second.exitCode(), second.text());
        assertEquals(LAUNCHER, configDump(config).at("/plugins/" + CRI + "/containerd/runtimes/" + HANDLER + "/options/BinaryName").asText());

        RealContainerdTest.Output uninstall = run(environment, "uninstall");

        assertEquals(0, uninstall.exitCode(), uninstall.text());
        assertEquals(before, configDump(config), "containerd's effective config is as before the install");
        assertTrue(java.util.Arrays.equals(original, Files.readAllBytes(config)), "config.toml is byte for byte as before");
        assertFalse(Files.exists(config.resolveSibling("conf.d")), "the drop-in and the directory created for it are gone");
        assertFalse(Files.exists(Path.of("/opt/stockade")), "/opt/stockade is gone");
        assertFalse(Files.exists(Path.of("/etc/stockade/profiles/untrusted.json")), "the profile is gone");
        assertEquals(etcStockadeExisted, Files.exists(Path.of("/etc/stockade")));
    }

    /** Fault 2: a host whose only runtime is nvidia (the default) loads nvidia and our handler, and no runc. */
    @Test
    void theEffectiveRuntimesAreTheHostsAndTheHandlersOnly() throws Exception {
        Map<String, String> environment = prepare("""
                version = 2
                [plugins."io.containerd.grpc.v1.cri".containerd]
                default_runtime_name = "nvidia"
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
                runtime_type = "io.containerd.runc.v2"
                """);
        JsonNode before = configDump(config);
        assertEquals(List.of("nvidia"), runtimeNames(before));

        RealContainerdTest.Output install = run(environment, "install");

        assertEquals(0, install.exitCode(), install.text());
        JsonNode after = configDump(config);
        assertEquals(List.of("nvidia", HANDLER), runtimeNames(after).stream().sorted().toList());
        RealContainerdTest.assertChangedOnlyByHandler(before, after, CRI);
    }

    /** Fault 3: the handler is the host's runc runtime (systemd cgroups, base spec, every option) with our BinaryName. */
    @Test
    void theHandlerCarriesTheHostsRuncSettings() throws Exception {
        Map<String, String> environment = prepare("""
                version = 2
                [plugins."io.containerd.grpc.v1.cri".containerd]
                  default_runtime_name = "runc"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                    runtime_type = "io.containerd.runc.v2"
                    base_runtime_spec = "/etc/containerd/cri-base.json"
                    pod_annotations = ["io.example/*"]
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                      SystemdCgroup = true
                      NoNewKeyring = true
                      Root = "/run/runc-k8s"
                """);

        RealContainerdTest.Output install = run(environment, "install");

        assertEquals(0, install.exitCode(), install.text());
        JsonNode runtimes = configDump(config).at("/plugins/" + CRI + "/containerd/runtimes");
        ObjectNode expected = runtimes.path("runc").deepCopy();
        assertTrue(expected.at("/options/SystemdCgroup").asBoolean(), runtimes.toString());
        expected.withObjectProperty("options").put("BinaryName", LAUNCHER);
        assertEquals(expected, runtimes.path(HANDLER), "the handler differs from the host's runc only in BinaryName");
    }

    /**
     * Fault 4: config management puts the original config.toml back and restarts containerd, which
     * then runs without the handler. The next install rewrites the file, restarts containerd and
     * checks the running daemon; with a restart that does nothing, the install fails instead of
     * reporting success; a config only touched since containerd started gets one restart.
     */
    @Test
    void aRevertedConfigIsRewrittenRestartedAndTheRunningContainerdChecked() throws Exception {
        requireHostAndPayload(List.of(), "bin/stockade-runtime", "the sandbox runtime payload");
        Path workDir = Files.createDirectories(directory.resolve("containerd"));
        Map<String, String> fileOnly = prepare(PrivateContainerd.baseConfig(workDir).replace("disabled_plugins = [\"" + CRI + "\"]\n", "") + """
                [plugins."io.containerd.grpc.v1.cri"]
                  restrict_oom_score_adj = true
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "WORKDIR/cni/bin"
                    conf_dir = "WORKDIR/cni/net.d"
                """);
        String original = Files.readString(config);
        try (PrivateContainerd containerd = PrivateContainerd.start(workDir, config);
             RestartRequests restarts = new RestartRequests(containerd)) {
            Map<String, String> environment = new HashMap<>(fileOnly);
            environment.put(InstallerConfig.RESTART, "command:" + restarts.command());
            environment.put(InstallerConfig.RUNTIME_SOCKET, containerd.socket().toString());
            environment.put(InstallerConfig.VERIFY, "command:true");
            // The CRI's own list of handlers, as the kubelet sees it.
            environment.put(InstallerConfig.CRICTL, BuiltTools.crictl().toString());

            RealContainerdTest.Output install = run(environment, "install");
            assertEquals(0, install.exitCode(), install.text());
            assertEquals(1, restarts.count());

            Files.writeString(config, original);
            containerd.restart();
            RealContainerdTest.Output repair = run(environment, "install");
            assertEquals(0, repair.exitCode(), repair.text());
            assertEquals(2, restarts.count(), "the rewritten config was loaded by a restart: " + repair.text());
            assertTrue(repair.text().contains("container runtime restarted"), repair.text());

            // The same revert, but the restart setting does nothing: the running containerd lacks the handler.
            Files.writeString(config, original);
            containerd.restart();
            Map<String, String> noRestart = new HashMap<>(environment);
            noRestart.put(InstallerConfig.RESTART, "command:true");
            RealContainerdTest.Output unreloaded = run(noRestart, "install");
            assertEquals(1, unreloaded.exitCode(), unreloaded.text());
            assertTrue(unreloaded.text().contains("runs an older configuration without the handlers"), unreloaded.text());

            // Once containerd is restarted by anyone, the next pass verifies and succeeds.
            containerd.restart();
            RealContainerdTest.Output settled = run(environment, "install");
            assertEquals(0, settled.exitCode(), settled.text());

            // A file rewritten with the same content (no change for the installer to write) is newer than the
            // running containerd: the installer restarts it once instead of leaving the node failed.
            int before = restarts.count();
            Files.setLastModifiedTime(config, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
            RealContainerdTest.Output touched = run(environment, "install");
            assertEquals(0, touched.exitCode(), touched.text());
            assertEquals(before + 1, restarts.count(), touched.text());

            RealContainerdTest.Output uninstall = run(environment, "uninstall");
            assertEquals(0, uninstall.exitCode(), uninstall.text());
            assertEquals(original, Files.readString(config));
        }
    }

    private static List<String> runtimeNames(JsonNode dump) {
        return RealContainerdTest.fieldNames(dump.at("/plugins/" + CRI + "/containerd/runtimes"));
    }
}
