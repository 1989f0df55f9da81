package dev.stockade.installer.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.profile.KernelIdentity;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.testing.BusyboxImage;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.PrivateContainerd;
import dev.stockade.testing.RestartRequests;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.stockade.installer.node.RealContainerdTest.CRI;
import static dev.stockade.installer.node.RealContainerdTest.HANDLER;
import static dev.stockade.installer.node.RealContainerdTest.LAUNCHER;
import static dev.stockade.installer.node.RealContainerdTest.configDump;
import static dev.stockade.installer.node.RealContainerdTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The installer on the containerd layout of k3s and of RKE2, with a real containerd 1.6 (Debian's)
 * that the test starts where the distribution starts its own: root under
 * /var/lib/rancher/NAME/agent/containerd, state and socket under /run/k3s/containerd, config
 * rendered into /var/lib/rancher/NAME/agent/etc/containerd/config.toml from the admin's
 * config.toml.tmpl. The installer detects the flavour from those files, puts the handler into the
 * template, and the test plays the distribution's restart (render, then restart containerd):
 * containerd loads the handler, a busybox container runs through it, the profile's refusals
 * hold, and uninstall leaves template, rendered file and {@code config dump} as before. A profile
 * with a kernel identity shows {@code uname -r} 4.4.0 through the handler on the same layout.
 *
 * <p>Creates /var/lib/rancher/NAME and /run/k3s (it fails when either exists: a k3s or RKE2 is
 * on this machine) and removes them, and writes /opt/stockade, which the uninstall removes.
 */
class RealRancherLayoutTest {

    static final Path STATE = Path.of("/run/k3s/containerd");
    static final Path SOCKET = STATE.resolve("containerd.sock");

    @TempDir
    Path directory;

    @ParameterizedTest
    @ValueSource(strings = {"k3s", "rke2"})
    void installRestartRunUninstallOnTheDistributionsContainerdLayout(String flavour) throws Exception {
        Path payload = RealContainerdTest.requireHostAndPayload(List.of(), "bin/stockade-runtime",
                "the sandbox runtime payload (dev.stockade:stockade-sandbox-runtime, classifier payload)");
        Path profiles = profiles(SandboxProfile.defaults());
        try (RancherNode node = new RancherNode(flavour);
             PrivateContainerd containerd = PrivateContainerd.start(Files.createDirectories(directory.resolve("containerd")), node.rendered, SOCKET);
             RestartRequests restarts = new RestartRequests(containerd)) {
            JsonNode dumpBefore = configDump(node.rendered);
            assertEquals(node.root.toString(), dumpBefore.path("root").asText(), dumpBefore.toString());
            RealContainerdTest.assertCriPluginLoads(containerd, "with the distribution's config");
            String image = containerd.importImage(BusyboxImage.ociArchive(BusyboxImage.rootfs(directory.resolve("rootfs")), directory));
            String ctrRun = "ctr --address " + SOCKET + " run --rm " + String.join(" ", containerd.privateRunOptions());
            Map<String, String> environment = node.installEnvironment(payload, profiles, restarts,
                    "command:" + ctrRun + " --runc-binary \"$2\" " + image + " verify-$1 /bin/true");

            RealContainerdTest.Output install = run(environment, "install");
            assertEquals(0, install.exitCode(), install.text());
            assertEquals(1, restarts.count(), "containerd restarted once: " + install.text());
            assertEquals(flavour, installedRuntime(), "the installer detected " + flavour + " from its template directory");

            String templateText = Files.readString(node.template);
            assertTrue(templateText.startsWith(node.config), "the template's own text is kept as it was:\n" + templateText);
            assertManagedBlockHoldsOnlyTheHandler(templateText.substring(node.config.length()));
            assertArrayEquals(Files.readAllBytes(node.template), Files.readAllBytes(node.rendered), "the restart rendered the template");

            JsonNode dump = configDump(node.rendered);
            RealContainerdTest.assertChangedOnlyByHandler(dumpBefore, dump, CRI);
            ObjectNode hostsRunc = ((ObjectNode) dumpBefore.at("/plugins/" + CRI + "/containerd/runtimes/runc")).deepCopy();
            ((ObjectNode) hostsRunc.get("options")).put("BinaryName", LAUNCHER);
            assertEquals(hostsRunc, dump.at("/plugins/" + CRI + "/containerd/runtimes/" + HANDLER),
                    "the handler is the node's runc runtime with the launcher as its binary");
            RealContainerdTest.assertCriPluginLoads(containerd, "with the handler");

            String launcher = Files.readString(Path.of(LAUNCHER));
            assertTrue(launcher.contains("containerd:" + node.root) && launcher.contains("containerd:" + STATE),
                    "the launcher carries the distribution's containerd root and state:\n" + launcher);

            CommandResult uname = containerd.run(image, "sandboxed-uname", List.of("--runc-binary", LAUNCHER), "uname", "-r");
            assertEquals(0, uname.exitCode(), uname.describe());
            assertEquals(hostRelease(), uname.stdout().strip(), "the default profile sets no kernel identity");
            RealContainerdTest.assertHostMountRefused(containerd, image);
            CommandResult privileged = containerd.run(image, "privileged", List.of("--runc-binary", LAUNCHER, "--privileged"), "true");
            assertNotEquals(0, privileged.exitCode(), privileged.describe());
            assertTrue(privileged.stderr().contains("(rule privileged)"), privileged.describe());

            RealContainerdTest.Output uninstall = run(environment, "uninstall");
            assertEquals(0, uninstall.exitCode(), uninstall.text());
            assertEquals(2, restarts.count(), "one restart to drop the handler");
            assertArrayEquals(node.config.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(node.template),
                    "the template is byte for byte as before");
            assertArrayEquals(node.config.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(node.rendered),
                    "and so is the rendered config.toml");
            assertEquals(dumpBefore, configDump(node.rendered));
            assertFalse(Files.exists(Path.of("/opt/stockade")));
        }
    }

    /**
     * A profile with a kernel identity on the same layout: the installer starts the supervisor, and
     * a busybox container through the handler sees kernel 4.4.0 while one under runc sees the
     * host's; uninstall stops the supervisor.
     */
    @ParameterizedTest
    @ValueSource(strings = {"k3s", "rke2"})
    void kernelIdentityProfileOnTheDistributionsContainerdLayout(String flavour) throws Exception {
        Path payload = RealContainerdTest.requireHostAndPayload(List.of("setsid"), "bin/stockade-supervisor",
                "the supervisor payload (dev.stockade:stockade-supervisor, classifier payload)");
        Path socket = Path.of(HostLayout.SUPERVISOR_SOCKET);
        assertFalse(Files.exists(socket), socket + " exists already: another Stockade install is on this machine");
        Path profiles = profiles(new SandboxProfile(null, null, null, null, null, null, null, null, null,
                new KernelIdentity(null, "4.4.0", null, null), null));
        try (RancherNode node = new RancherNode(flavour);
             PrivateContainerd containerd = PrivateContainerd.start(Files.createDirectories(directory.resolve("containerd")), node.rendered, SOCKET);
             RestartRequests restarts = new RestartRequests(containerd)) {
            String image = containerd.importImage(BusyboxImage.ociArchive(BusyboxImage.rootfs(directory.resolve("rootfs")), directory));
            Map<String, String> environment = node.installEnvironment(payload, profiles, restarts, "files");

            RealContainerdTest.Output install = run(environment, "install");
            assertEquals(0, install.exitCode(), install.text());
            assertTrue(Files.exists(socket), "the install started the supervisor: " + install.text());
            CommandResult plain = containerd.run(image, "plain-uname", List.of(), "uname", "-r").requireSuccess();
            CommandResult sandboxed = containerd.run(image, "sandboxed-uname", List.of("--runc-binary", LAUNCHER), "uname", "-r");
            assertEquals(hostRelease(), plain.stdout().strip(), "runc shows the host's kernel");
            assertEquals(0, sandboxed.exitCode(), sandboxed.describe());
            assertEquals("4.4.0", sandboxed.stdout().strip(), "the handler's container sees the profile's kernel: " + sandboxed.describe());

            RealContainerdTest.Output uninstall = run(environment, "uninstall");
            assertEquals(0, uninstall.exitCode(), uninstall.text());
            assertEquals(2, restarts.count(), "one restart to add the handler, one to drop it");
            assertFalse(Files.exists(socket), "uninstall stopped the supervisor");
            assertArrayEquals(node.config.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(node.template));
            assertFalse(Files.exists(Path.of("/opt/stockade")));
        }
    }

    /**
     * The files of a k3s or RKE2 node as the distribution leaves them for its containerd, which this
     * test creates (failing when they exist: a k3s or RKE2 is on this machine) and removes on
     * {@link #close()}, after an uninstall --force of whatever a failed assertion left installed.
     */
    private static final class RancherNode implements AutoCloseable {

        final String flavour;
        final Path template;
        final Path rendered;
        final Path root;
        /** The rendered config, which is also the admin's template. */
        final String config;
        /** What this node made, top-most first. */
        private final List<Path> created = new ArrayList<>();

        RancherNode(String flavour) throws Exception {
            this.flavour = flavour;
            Path dataDir = Path.of("/var/lib/rancher", flavour);
            Path runDir = STATE.getParent();
            assertFalse(Files.exists(dataDir) || Files.exists(runDir), dataDir + " or " + runDir + " exists already: a k3s or RKE2 is on "
                    + "this machine (or what an earlier run left behind); this test creates and removes both itself");
            Path templateDirectory = dataDir.resolve("agent/etc/containerd");
            template = templateDirectory.resolve("config.toml.tmpl");
            rendered = templateDirectory.resolve("config.toml");
            root = dataDir.resolve("agent/containerd");
            config = renderedConfig(flavour, root);
            created.add(Files.exists(dataDir.getParent()) ? dataDir : dataDir.getParent());
            created.add(runDir);
            try {
                Files.createDirectories(templateDirectory);
                Files.createDirectories(runDir);
                // The admin's own template, the pre-v1.27 way: a copy of the rendered file. k3s renders the
                // template with Go's text/template, and a template without actions renders as its own text.
                Files.writeString(template, config);
                Files.writeString(rendered, config);
            } catch (Exception e) {
                close();
                throw e;
            }
        }

        /**
         * The installer's settings on this node: flavour detected, the distribution's socket, and
         * the restart that {@code systemctl restart k3s} is for containerd's config (render the
         * template, restart containerd).
         */
        Map<String, String> installEnvironment(Path payload, Path profiles, RestartRequests restarts, String verify) {
            return RealContainerdTest.installEnvironment(payload, profiles, Map.of(InstallerEnvironment.CONTAINER_RUNTIME, "auto"),
                    "command:cp " + template + " " + rendered + " && { " + restarts.command() + "; }", SOCKET.toString(), verify);
        }

        @Override
        public void close() {
            RealContainerdTest.uninstallLeftovers(Map.of(InstallerEnvironment.CONTAINER_RUNTIME, flavour));
            for (Path path : created) {
                // Never across a mount: containerd's mounts live in its own mount namespace, gone by now.
                Commands.run("rm", "-rf", "--one-file-system", path.toString()).requireSuccess();
            }
        }
    }

    private Path profiles(SandboxProfile untrusted) throws Exception {
        Path profiles = Files.createDirectories(directory.resolve("profiles"));
        Files.writeString(profiles.resolve("untrusted.json"), Profiles.render(untrusted));
        return profiles;
    }

    private static String hostRelease() {
        return Commands.run("uname", "-r").requireSuccess().stdout().strip();
    }

    /**
     * What k3s (or RKE2, whose agent is k3s's) renders for containerd 1.6 from its built-in template
     * on a node without systemd (SystemdCgroup = false), flannel's CNI and the default pause image.
     * The distribution passes root, state and socket to containerd as flags; this test's containerd
     * is started with the config alone, so they are written here, at the same paths.
     */
    private static String renderedConfig(String flavour, Path root) {
        return """
                # File generated by %1$s. DO NOT EDIT. Use config.toml.tmpl instead.
                version = 2
                root = "%2$s"
                state = "%3$s"

                [grpc]
                  address = "%4$s"

                [ttrpc]
                  address = "%4$s.ttrpc"

                [plugins."io.containerd.internal.v1.opt"]
                  path = "%2$s"
                [plugins."io.containerd.grpc.v1.cri"]
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "10010"
                  enable_selinux = false
                  enable_unprivileged_ports = true
                  enable_unprivileged_icmp = true
                  sandbox_image = "rancher/mirrored-pause:3.6"

                [plugins."io.containerd.grpc.v1.cri".containerd]
                  snapshotter = "overlayfs"
                  disable_snapshot_annotations = true


                [plugins."io.containerd.grpc.v1.cri".cni]
                  bin_dir = "/var/lib/rancher/%1$s/data/current/bin"
                  conf_dir = "/var/lib/rancher/%1$s/agent/etc/cni/net.d"


                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"

                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                  SystemdCgroup = false
                """.formatted(flavour, root, STATE, SOCKET);
    }

    /** {@code appended} is one managed block whose TOML declares the handler's runtime and nothing else. */
    private static void assertManagedBlockHoldsOnlyTheHandler(String appended) throws Exception {
        String begin = "\n# BEGIN stockade-runtime-installer";
        String end = "# END stockade-runtime-installer\n";
        assertTrue(appended.startsWith(begin) && appended.endsWith(end) && appended.indexOf(begin, 1) < 0,
                "the template gained one managed block at its end:\n" + appended);
        JsonNode block = new TomlMapper().readTree(appended);
        assertEquals(List.of("plugins"), RealContainerdTest.fieldNames(block), appended);
        assertEquals(List.of(CRI), RealContainerdTest.fieldNames(block.path("plugins")), appended);
        assertEquals(List.of("containerd"), RealContainerdTest.fieldNames(block.path("plugins").path(CRI)), appended);
        assertEquals(List.of("runtimes"), RealContainerdTest.fieldNames(block.at("/plugins/" + CRI + "/containerd")), appended);
        assertEquals(List.of(HANDLER), RealContainerdTest.fieldNames(block.at("/plugins/" + CRI + "/containerd/runtimes")), appended);
    }

    /** The flavour the installer recorded in its state file. */
    private static String installedRuntime() throws Exception {
        return JsonMapper.builder().build().readTree(Files.readString(Path.of("/opt/stockade/installer-state.json"))).path("runtime").asText();
    }
}
