package dev.stockade.installer.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.installer.InstallerConfig;
import dev.stockade.testing.BuiltTools;
import dev.stockade.testing.BusyboxImage;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.PrivateContainerd;
import dev.stockade.testing.RestartRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static dev.stockade.installer.node.RealContainerdTest.HANDLER;
import static dev.stockade.installer.node.RealContainerdTest.LAUNCHER;
import static dev.stockade.installer.node.RealContainerdTest.configDump;
import static dev.stockade.installer.node.RealContainerdTest.installEnvironment;
import static dev.stockade.installer.node.RealContainerdTest.requireHostAndPayload;
import static dev.stockade.installer.node.RealContainerdTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The installer against a real containerd 2.x (2.2.9, built by {@code test/cluster/build-tools
 * containerd2}) with config version 3, as current distributions, k3s/RKE2 and kubeadm nodes run
 * it: the handlers go under {@code io.containerd.cri.v1.runtime}, inherit the host's runc runtime
 * (SystemdCgroup = true, as kubeadm's guide sets it), the running daemon's CRI serves them, a
 * busybox container runs through the launcher, and uninstall restores config.toml byte for byte
 * and the running daemon's runtimes. The steps are {@link RealContainerdTest}'s; containerd runs
 * the same way ({@link PrivateContainerd}), from the 2.x release's directory.
 *
 * <p>Writes /opt/stockade and /etc/stockade/profiles on this machine and removes them with the uninstall.
 */
class RealContainerd2Test {

    static final String CRI_RUNTIME = "io.containerd.cri.v1.runtime";

    @TempDir
    Path directory;

    /**
     * containerd 2.2.9's own {@code containerd config default} (version 3, {@code imports =
     * ['/etc/containerd/conf.d/*.toml']}, which covers the installer's drop-in) with this test's
     * directories, and SystemdCgroup = true: config.toml is never edited.
     */
    @Test
    void installRunUninstallWithContainerd2sDefaultConfig() throws Exception {
        String defaults = Commands.run(BuiltTools.containerd2().resolve("containerd").toString(), "config", "default").requireSuccess().stdout();
        assertTrue(defaults.startsWith("version = 3\n"), defaults);
        String config = defaults;
        // Every host path containerd would create or serve, moved under the test's directory.
        for (Map.Entry<String, String> setting : Map.of(
                "root = '/var/lib/containerd'", "root = 'WORKDIR/root'",
                "state = '/run/containerd'", "state = 'WORKDIR/state'",
                "imports = ['/etc/containerd/conf.d/*.toml']", "imports = ['WORKDIR/conf.d/*.toml']",
                "address = '/run/containerd/containerd.sock'", "address = 'WORKDIR/containerd.sock'",
                "path = '/opt/containerd'", "path = 'WORKDIR/opt'",
                "socket_path = '/var/run/nri/nri.sock'", "socket_path = 'WORKDIR/nri/nri.sock'",
                "bin_dirs = ['/opt/cni/bin']", "bin_dirs = ['WORKDIR/cni/bin']",
                "conf_dir = '/etc/cni/net.d'", "conf_dir = 'WORKDIR/cni/net.d'",
                "SystemdCgroup = false", "SystemdCgroup = true").entrySet()) {
            assertEquals(1, config.split(Pattern.quote(setting.getKey()), -1).length - 1,
                    "containerd config default has one '" + setting.getKey() + "':\n" + defaults);
            config = config.replace(setting.getKey(), setting.getValue());
        }
        installRunUninstall(config, true, true);
    }

    /**
     * The smallest version 3 file of a kubeadm node (only runc's SystemdCgroup) besides the test's
     * directories: the handler inherits containerd 2.x's built-in runc with that option, and the
     * drop-in is imported by one entry that uninstall removes again.
     */
    @Test
    void installRunUninstallWithKubeadmsMinimalVersion3Config() throws Exception {
        installRunUninstall(minimalConfig("""
                [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
                  SystemdCgroup = true
                """), false, true);
    }

    /** A version 3 file that declares no runtime: the handler is the built-in runc with the launcher, and runc stays as it was. */
    @Test
    void installRunUninstallWithAVersion3ConfigThatDeclaresNoRuntime() throws Exception {
        installRunUninstall(minimalConfig(""), false, false);
    }

    /** version = 3 with the test's directories for all that containerd would otherwise create on the host, and {@code more}. */
    private static String minimalConfig(String more) {
        return """
                version = 3
                root = "WORKDIR/root"
                state = "WORKDIR/state"

                [grpc]
                  address = "WORKDIR/containerd.sock"

                [plugins.'io.containerd.cri.v1.runtime'.cni]
                  bin_dirs = ["WORKDIR/cni/bin"]
                  conf_dir = "WORKDIR/cni/net.d"
                [plugins.'io.containerd.internal.v1.opt']
                  path = "WORKDIR/opt"
                [plugins.'io.containerd.nri.v1.nri']
                  socket_path = "WORKDIR/nri/nri.sock"
                """ + more;
    }

    /**
     * Install (containerd restarted once), the checks of this class's description, uninstall.
     *
     * @param configTemplate     config.toml, WORKDIR standing for containerd's directory under the test's
     * @param importsCoverDropIn whether the config's own imports read the drop-in, so that config.toml is never edited
     * @param systemdCgroup      whether the host's runc (and so the handler) uses systemd cgroups
     */
    private void installRunUninstall(String configTemplate, boolean importsCoverDropIn, boolean systemdCgroup) throws Exception {
        Path bin = BuiltTools.containerd2();
        Path payload = requireHostAndPayload(List.of(), "bin/stockade-runtime",
                "the sandbox runtime payload (dev.stockade:stockade-sandbox-runtime, classifier payload)");
        String containerdBinary = bin.resolve("containerd").toString();
        Path workDir = Files.createDirectories(directory.resolve("containerd"));
        Path config = workDir.resolve("config.toml");
        String configText = configTemplate.replace("WORKDIR", workDir.toString());
        Files.writeString(config, configText);
        byte[] originalConfig = Files.readAllBytes(config);
        Path profiles = Files.createDirectories(directory.resolve("profiles"));
        Files.writeString(profiles.resolve("untrusted.json"), Profiles.render(SandboxProfile.defaults()));
        Path crictl = BuiltTools.crictl();

        try (PrivateContainerd containerd = PrivateContainerd.start(workDir, config, Optional.of(bin));
             RestartRequests restarts = new RestartRequests(containerd)) {
            JsonNode dumpBefore = configDump(containerdBinary, config);
            assertEquals(3, dumpBefore.path("version").asInt(), "containerd 2.x loads the file as version 3");
            assertEquals(systemdCgroup, dumpBefore.at("/plugins/" + CRI_RUNTIME + "/containerd/runtimes/runc/options/SystemdCgroup").asBoolean(),
                    "the host's runc cgroup driver: " + dumpBefore.at("/plugins/" + CRI_RUNTIME + "/containerd/runtimes"));
            assertEquals(List.of("runc"), runtimeNames(criInfo(crictl, containerd)), "the running CRI serves runc only before the install");
            String image = containerd.importImage(BusyboxImage.ociArchive(BusyboxImage.rootfs(directory.resolve("rootfs")), directory));
            String ctrRun = containerd.binary("ctr") + " --address " + containerd.socket() + " run --rm "
                    + String.join(" ", containerd.privateRunOptions());
            Map<String, String> environment = new HashMap<>(installEnvironment(payload, profiles, config, "command:" + restarts.command(),
                    containerd.socket().toString(), "command:" + ctrRun + " --runc-binary \"$2\" " + image + " verify-$1 /bin/true"));
            // The running CRI's own list of handlers, as the kubelet sees it, checked by the installer too.
            environment.put(InstallerConfig.CRICTL, crictl.toString());

            RealContainerdTest.Output install = run(environment, "install");
            assertEquals(0, install.exitCode(), install.text());
            assertEquals(1, restarts.count(), "containerd restarted once through the command restarter");
            assertEquals(importsCoverDropIn, Files.readString(config).equals(configText),
                    "config.toml is edited only when its imports do not read the drop-in:\n" + Files.readString(config));

            // containerd 2.x's reading of the files: the handler is the host's runc with the launcher.
            JsonNode dump = configDump(containerdBinary, config);
            JsonNode runtimes = dump.at("/plugins/" + CRI_RUNTIME + "/containerd/runtimes");
            ObjectNode expected = runtimes.path("runc").deepCopy();
            expected.withObjectProperty("options").put("BinaryName", LAUNCHER);
            assertEquals(expected, runtimes.path(HANDLER), "the handler differs from the host's runc only in BinaryName");
            RealContainerdTest.assertChangedOnlyByHandler(dumpBefore, dump, CRI_RUNTIME);

            // The running daemon: its CRI loaded and serves the handler with the host's cgroup driver.
            JsonNode served = criInfo(crictl, containerd);
            assertEquals(List.of("runc", HANDLER), runtimeNames(served).stream().sorted().toList());
            assertEquals(LAUNCHER, served.path(HANDLER).path("options").path("BinaryName").asText(), served.toString());
            assertEquals(systemdCgroup, served.path(HANDLER).path("options").path("SystemdCgroup").asBoolean(), served.toString());

            RealContainerdTest.assertHandlerAppliesTheProfile(containerd, image);
            RealContainerdTest.assertHostMountRefused(containerd, image);

            RealContainerdTest.Output reinstall = run(environment, "install");
            assertEquals(0, reinstall.exitCode(), reinstall.text());
            assertEquals(1, restarts.count(), "nothing changed: no restart");

            RealContainerdTest.Output uninstall = run(environment, "uninstall");
            assertEquals(0, uninstall.exitCode(), uninstall.text());
            assertEquals(2, restarts.count(), "one restart to drop the handler");
            assertArrayEquals(originalConfig, Files.readAllBytes(config), "config.toml is byte for byte as before");
            assertFalse(Files.exists(workDir.resolve("conf.d")), "the drop-in and the directory created for it are gone");
            assertEquals(dumpBefore, configDump(containerdBinary, config));
            assertEquals(List.of("runc"), runtimeNames(criInfo(crictl, containerd)), "the running CRI no longer serves the handler");
            assertFalse(Files.exists(Path.of("/opt/stockade")));
        } finally {
            RealContainerdTest.uninstallLeftovers(config);
        }
    }

    /** The runtimes the running containerd's CRI serves ({@code crictl info}: config.containerd.runtimes). */
    private static JsonNode criInfo(Path crictl, PrivateContainerd containerd) throws Exception {
        CommandResult info = Commands.run(crictl.toString(), "--runtime-endpoint", "unix://" + containerd.socket(), "info").requireSuccess();
        JsonNode runtimes = new ObjectMapper().readTree(info.stdout()).at("/config/containerd/runtimes");
        assertTrue(runtimes.isObject(), "crictl info lists no config.containerd.runtimes:\n" + info.stdout());
        return runtimes;
    }

    private static List<String> runtimeNames(JsonNode runtimes) {
        return RealContainerdTest.fieldNames(runtimes);
    }
}
