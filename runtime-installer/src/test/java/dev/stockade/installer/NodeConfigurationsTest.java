package dev.stockade.installer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.node.HostLayout;
import dev.stockade.installer.preset.FlavourDetector;
import dev.stockade.installer.preset.RuntimePresets;
import dev.stockade.installer.runtime.ContainerdConfigurator;
import dev.stockade.installer.runtime.CrioConfigurator;
import dev.stockade.installer.runtime.Handler;
import dev.stockade.installer.runtime.TemplateConfigurator;
import dev.stockade.installer.state.InstallState;
import dev.stockade.installer.state.ManagedFile;
import dev.stockade.installer.state.StateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The smallest real node configurations that broke the installer (issue 10, "Installer faults
 * found with real node configurations"), on a fake host tree; the same configurations run
 * against a real containerd in {@code node.RealContainerdConfigsTest}.
 */
class NodeConfigurationsTest {

    static final String CONFIG = RuntimePresets.CONTAINERD_CONFIG;
    static final String DROP_IN = "/etc/containerd/conf.d/stockade.toml";
    static final String V2 = "io.containerd.grpc.v1.cri";
    static final String V3 = "io.containerd.cri.v1.runtime";

    @TempDir
    Path directory;

    private FakeHost host(String config) throws Exception {
        FakeHost host = new FakeHost(Files.createDirectories(directory.resolve("host-" + System.nanoTime())));
        host.write(CONFIG, config);
        return host;
    }

    private static Installer installer(FakeHost host) {
        return host.installer(root -> new ContainerdConfigurator(root, RuntimePresets.containerd(CONFIG)), Checkpoint.NONE);
    }

    /** Fault 1: the host already imports Stockade's drop-in through a conf.d glob (absolute or relative). */
    @ParameterizedTest(name = "imports = [\"{0}\"]")
    @ValueSource(strings = {"/etc/containerd/conf.d/*.toml", "conf.d/*.toml"})
    void uninstallAfterRepeatedInstallsUnderAnImportThatCoversTheDropInLeavesTheHostAsBefore(String entry) throws Exception {
        FakeHost host = host("version = 2\nimports = [\"" + entry + "\"]\n");
        Map<String, String> before = host.snapshot();
        installer(host).install();
        installer(host).install();

        Installer.UninstallResult result = installer(host).uninstall(false);

        assertEquals(before, host.snapshot(), "no drop-in, profile, launcher or /opt/stockade left behind");
        assertTrue(result.changedFiles().contains(DROP_IN), result.changedFiles().toString());
    }

    /**
     * Fault 1's kind with the drop-in itself in the host's imports (what a lost state leaves): the
     * entry goes with the drop-in, since containerd cannot start with an import that does not exist.
     */
    @Test
    void uninstallTakesAnExplicitImportOfTheDropInOutWithTheDropIn() throws Exception {
        FakeHost host = host("version = 2\nimports = [\"" + DROP_IN + "\"]\n");
        installer(host).install();
        installer(host).install();

        installer(host).uninstall(false);

        assertEquals("version = 2\n", host.read(CONFIG));
        assertFalse(host.exists(DROP_IN));
        assertFalse(host.exists("/opt/stockade"));
        assertFalse(host.exists("/etc/stockade/profiles/untrusted.json"));
    }

    /** Fault 1 on a node the old installer already recorded wrongly: every uninstall retry failed there. */
    @Test
    void uninstallSucceedsWhereAnEarlierInstallerRecordedTheHostsOwnConfigAsWrittenByIt() throws Exception {
        FakeHost host = host("version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n");
        Map<String, String> before = host.snapshot();
        installer(host).install();
        StateStore store = new StateStore(host.hostRoot());
        InstallState state = store.load();
        ManagedFile config = state.file(CONFIG).orElseThrow();
        // What the old installer's second pass recorded: the host's own file as if the installer wrote it, without a backup.
        store.save(state.withFile(config.withWrittenHash(dev.stockade.installer.host.HostFiles.sha256(host.read(CONFIG)))));

        installer(host).uninstall(false);

        assertEquals(before, host.snapshot());
    }

    static final String NVIDIA_DEFAULT = """
            version = 2
            [plugins."io.containerd.grpc.v1.cri".containerd]
            default_runtime_name = "nvidia"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
            runtime_type = "io.containerd.runc.v2"
            """;

    /** Fault 2: the runtimes containerd loads are the host's and ours, nothing else. */
    @Test
    void noRuntimeIsAddedThatTheHostNeverHad() throws Exception {
        FakeHost host = host(NVIDIA_DEFAULT);
        List<String> runtimesBefore = runtimeNames(Flavour.containerdView(host), V2);

        installer(host).install();

        List<String> expected = new ArrayList<>(runtimesBefore);
        FakeHost.HANDLERS.forEach(handler -> expected.add(handler.name()));
        assertEquals(List.of("nvidia"), runtimesBefore);
        assertEquals(expected, runtimeNames(Flavour.containerdView(host), V2));
        assertEquals("nvidia", Flavour.containerdView(host).at("/plugins/" + V2 + "/containerd/default_runtime_name").asText());
    }

    /** Fault 3: a handler is the host's runc runtime with our binary, whatever else it sets. */
    @Test
    void handlersCarryEveryOptionOfTheHostsRuncRuntimeButTheBinary() throws Exception {
        FakeHost host = host("""
                version = 2
                [plugins."io.containerd.grpc.v1.cri".containerd]
                  default_runtime_name = "runc"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                    runtime_type = "io.containerd.runc.v2"
                    base_runtime_spec = "/etc/containerd/base-spec.json"
                    privileged_without_host_devices = true
                    pod_annotations = ["io.example/*"]
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                      SystemdCgroup = true
                      BinaryName = "/usr/local/sbin/runc"
                      Root = "/run/runc-custom"
                      NoNewKeyring = true
                """);
        JsonNode hostRunc = Flavour.containerdView(host).at("/plugins/" + V2 + "/containerd/runtimes/runc");

        installer(host).install();

        JsonNode runtimes = Flavour.containerdView(host).at("/plugins/" + V2 + "/containerd/runtimes");
        assertEquals(hostRunc, runtimes.path("runc"), "the host's runc is unchanged");
        for (Handler handler : FakeHost.HANDLERS) {
            ObjectNode expected = hostRunc.deepCopy();
            expected.withObjectProperty("options").put("BinaryName", handler.launcher());
            assertEquals(expected, runtimes.path(handler.name()), handler.name());
        }
    }

    /**
     * Fault 3 where the default runtime is not called runc: the handlers copy the runtime that
     * really runs the node's pods through runc (the default, when it is a runc shim), not the one named runc.
     */
    @Test
    void handlersCopyTheDefaultRuncShimRuntimeWhateverItIsCalled() throws Exception {
        FakeHost host = host("""
                version = 2
                [plugins."io.containerd.grpc.v1.cri".containerd]
                  default_runtime_name = "nvidia"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                    runtime_type = "io.containerd.runc.v2"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
                    runtime_type = "io.containerd.runc.v2"
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]
                      BinaryName = "/usr/bin/nvidia-container-runtime"
                      SystemdCgroup = true
                """);

        installer(host).install();

        JsonNode runtimes = Flavour.containerdView(host).at("/plugins/" + V2 + "/containerd/runtimes");
        for (Handler handler : FakeHost.HANDLERS) {
            assertTrue(runtimes.at("/" + handler.name() + "/options/SystemdCgroup").asBoolean(), runtimes.toString());
            assertEquals(handler.launcher(), runtimes.at("/" + handler.name() + "/options/BinaryName").asText());
        }
    }

    /** Fault 3 where the default runtime is no runc shim at all (kata): the runc-shim runtime called runc. */
    @Test
    void handlersCopyTheRuncRuntimeWhenTheDefaultIsNoRuncShim() throws Exception {
        FakeHost host = host("""
                version = 2
                [plugins."io.containerd.grpc.v1.cri".containerd]
                  default_runtime_name = "kata"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
                    runtime_type = "io.containerd.kata.v2"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                    runtime_type = "io.containerd.runc.v2"
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                      SystemdCgroup = true
                """);

        installer(host).install();

        JsonNode runtimes = Flavour.containerdView(host).at("/plugins/" + V2 + "/containerd/runtimes");
        for (Handler handler : FakeHost.HANDLERS) {
            assertEquals("io.containerd.runc.v2", runtimes.at("/" + handler.name() + "/runtime_type").asText());
            assertTrue(runtimes.at("/" + handler.name() + "/options/SystemdCgroup").asBoolean(), runtimes.toString());
        }
    }

    /** Fault 3 for k3s/rke2: the handlers in the template copy the runc runtime k3s rendered for this node. */
    @Test
    void rancherHandlersCopyTheRenderedRuncRuntime() throws Exception {
        FakeHost host = new FakeHost(Files.createDirectories(directory.resolve("k3s")));
        String containerd = "/var/lib/rancher/k3s/agent/etc/containerd";
        host.write(containerd + "/config.toml", """
                version = 2
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                  SystemdCgroup = true
                """);

        host.installer(root -> new TemplateConfigurator(root, RuntimePresets.K3S), Checkpoint.NONE).install();

        String template = host.read(containerd + "/config.toml.tmpl");
        JsonNode appended = Flavour.toml(template.replace("{{ template \"base\" . }}", ""));
        for (Handler handler : FakeHost.HANDLERS) {
            JsonNode runtime = appended.at("/plugins/" + V2 + "/containerd/runtimes/" + handler.name());
            assertTrue(runtime.at("/options/SystemdCgroup").asBoolean(), template);
            assertEquals(handler.launcher(), runtime.at("/options/BinaryName").asText(), template);
        }
    }

    /** Fault 3's kind on a re-render: k3s's rendered file holds the last install's handlers, which are never the model. */
    @Test
    void rancherHandlersNeverCopyAHandlerOfTheLastInstall() throws Exception {
        FakeHost host = new FakeHost(Files.createDirectories(directory.resolve("k3s-rendered")));
        host.write("/var/lib/rancher/k3s/agent/etc/containerd/config.toml", """
                version = 2
                [plugins."io.containerd.grpc.v1.cri".containerd]
                  default_runtime_name = "kata"
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
                  runtime_type = "io.containerd.kata.v2"
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.zz-runc]
                  runtime_type = "io.containerd.runc.v2"
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.zz-runc.options]
                  SystemdCgroup = true

                # BEGIN stockade-runtime-installer (managed block, removed on uninstall)
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.stockade-strict]
                  runtime_type = "io.containerd.runc.v2"
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.stockade-strict.options]
                  BinaryName = "/opt/stockade/handlers/stockade-strict"
                # END stockade-runtime-installer
                """);

        host.installer(root -> new TemplateConfigurator(root, RuntimePresets.K3S), Checkpoint.NONE).install();

        String template = host.read("/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl");
        JsonNode runtimes = Flavour.toml(template.replace("{{ template \"base\" . }}", "")).at("/plugins/" + V2 + "/containerd/runtimes");
        for (Handler handler : FakeHost.HANDLERS) {
            assertTrue(runtimes.at("/" + handler.name() + "/options/SystemdCgroup").asBoolean(), template);
        }
    }

    /**
     * Fault 4, MicroK8s: the snap renders containerd.toml from containerd-template.toml on every
     * start, so a node with both is MicroK8s (even with a stock /etc/containerd beside it), and
     * its template is what the installer edits (the flavour tests in FlavourInstallTest).
     */
    @Test
    void aMicroK8sNodeIsDetectedAndItsTemplateEdited() throws Exception {
        FakeHost host = new FakeHost(Files.createDirectories(directory.resolve("microk8s")));
        host.write(CONFIG, "version = 2\n");
        Flavour.microK8s().prepare().accept(host);

        assertEquals(RuntimePresets.MICROK8S, FlavourDetector.resolve("auto", host.hostRoot(), CONFIG));
        List<dev.stockade.installer.runtime.DesiredFile> files = new TemplateConfigurator(host.hostRoot(), RuntimePresets.MICROK8S)
                .desired(FakeHost.HANDLERS);
        assertEquals(List.of(RuntimePresets.MICROK8S_ARGS + "/containerd-template.toml"),
                files.stream().map(dev.stockade.installer.runtime.DesiredFile::hostPath).toList());
    }

    /** Fault 4: whatever reverted a file the installer manages, the rewrite is followed by a restart. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"config reverted", "drop-in deleted"})
    void aFileChangedBehindTheInstallersBackIsRewrittenAndTheRuntimeRestarted(String change) throws Exception {
        String original = "version = 2\n";
        FakeHost host = host(original);
        installer(host).install();
        if (change.equals("config reverted")) {
            host.write(CONFIG, original);
        } else {
            Files.delete(host.hostRoot().resolve(DROP_IN));
        }

        Installer.InstallResult again = installer(host).install();

        assertFalse(again.changedFiles().isEmpty());
        assertTrue(again.restarted(), "changed " + again.changedFiles() + " but did not restart");
        assertEquals(2, host.restarter.restarts);
        FakeHost.HANDLERS.forEach(handler -> assertEquals(handler.launcher(),
                Flavour.containerdView(host).at("/plugins/" + V2 + "/containerd/runtimes/" + handler.name() + "/options/BinaryName").asText()));
    }

    /** Fault 5: CRI-O reads every file under crio.conf.d (any name, subdirectories too), so the installer checks them all. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"10-site.toml", "site", ".hidden.conf", "site.d/10-gpu.conf"})
    void crioRefusesToInstallWhileAnyFileItReadsIsBroken(String name) throws Exception {
        FakeHost host = new FakeHost(Files.createDirectories(directory.resolve("crio")));
        host.write(RuntimePresets.CRIO.configFile(), "[crio.runtime]\n");
        String broken = RuntimePresets.CRIO_DROP_INS + "/" + name;
        host.write(broken, "[crio.runtime\n");
        Map<String, String> before = host.snapshot();

        InstallerException error = assertThrows(InstallerException.class,
                () -> host.installer(CrioConfigurator::new, Checkpoint.NONE).install());

        assertTrue(error.getMessage().contains(broken), error.getMessage());
        assertEquals(before, host.snapshot());
    }

    /** Fault 5: the state file is the same bytes for the same state, whatever order things were added in. */
    @Test
    void stateFileListsHandlersAndProfilesInNameOrder() throws Exception {
        FakeHost host = new FakeHost(Files.createDirectories(directory.resolve("state")));
        StateStore store = new StateStore(host.hostRoot());
        Map<String, String> handlers = new LinkedHashMap<>();
        Map<String, String> hashes = new LinkedHashMap<>();
        for (String name : List.of("m", "c", "x", "a", "q", "f", "z", "b", "k", "h", "t", "d")) {
            handlers.put("stockade-" + name, name);
            hashes.put(name, "hash-" + name);
        }
        store.save(InstallState.empty().withHandlers(handlers).withProfileHashes(hashes));
        String written = Files.readString(host.hostRoot().resolve(HostLayout.INSTALLER_STATE));

        List<String> keys = written.lines().map(String::strip).filter(line -> line.startsWith("\"")).map(line -> line.substring(1, line.indexOf('"', 1)))
                .filter(key -> key.length() == 1 || key.startsWith("stockade-")).toList();
        List<String> handlerKeys = keys.stream().filter(key -> key.startsWith("stockade-")).toList();
        List<String> profileKeys = keys.stream().filter(key -> key.length() == 1).toList();
        assertEquals(handlerKeys.stream().sorted().toList(), handlerKeys, written);
        assertEquals(profileKeys.stream().sorted().toList(), profileKeys, written);
        store.save(store.load());
        assertEquals(written, Files.readString(host.hostRoot().resolve(HostLayout.INSTALLER_STATE)), "a load and save changes no byte");
    }

    /** Fault 5: a version 2 file that keeps its runtimes under containerd 2.x's plugin id gets the handlers there. */
    @Test
    void handlersGoWhereTheHostsRuntimesAreEvenUnderVersion2() throws Exception {
        FakeHost host = host("""
                version = 2
                [plugins."io.containerd.cri.v1.runtime".containerd]
                  default_runtime_name = "runc"
                  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
                    runtime_type = "io.containerd.runc.v2"
                    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
                      SystemdCgroup = true
                """);

        installer(host).install();

        JsonNode dropIn = Flavour.toml(host.read(DROP_IN));
        assertTrue(dropIn.path("plugins").path(V2).isMissingNode(), host.read(DROP_IN));
        for (Handler handler : FakeHost.HANDLERS) {
            JsonNode runtime = dropIn.at("/plugins/" + V3 + "/containerd/runtimes/" + handler.name());
            assertEquals(handler.launcher(), runtime.at("/options/BinaryName").asText(), host.read(DROP_IN));
            assertTrue(runtime.at("/options/SystemdCgroup").asBoolean(), host.read(DROP_IN));
        }
        assertTrue(dropIn.at("/plugins/" + V3 + "/containerd/runtimes/runc/options/SystemdCgroup").asBoolean(),
                "the host's runc stays as it was: " + host.read(DROP_IN));
    }

    /** Fault 5: a drop-in that containerd 1.x reads after ours replaces our CRI section; the node status says so and what to do. */
    @Test
    void aDropInSortingAfterOursWithItsOwnCriSectionIsNamedInTheNodeStatus() throws Exception {
        FakeHost host = host("version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n");
        host.write("/etc/containerd/conf.d/zz-site.toml", """
                version = 2
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "registry.site/pause:3.9"
                """);
        host.write("/etc/containerd/conf.d/00-early.toml", """
                version = 2
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "registry.early/pause:3.9"
                """);

        Installer.InstallResult result = installer(host).install();

        String status = InstallerMain.readyStatus(InstallerConfig.parse(List.of("install"), Map.of(
                dev.stockade.api.InstallerEnvironment.POLICY, FakeHost.POLICY,
                dev.stockade.api.InstallerEnvironment.HANDLERS, "untrusted=stockade-untrusted")), result).message();
        assertTrue(status.contains("/etc/containerd/conf.d/zz-site.toml"), status);
        assertTrue(status.contains("containerd 1.x"), status);
        assertTrue(status.contains("sorts before"), "says what to do: " + status);
        assertFalse(status.contains("00-early.toml"), "a drop-in before ours is carried into ours: " + status);
    }

    private static List<String> runtimeNames(JsonNode view, String plugin) {
        List<String> names = new ArrayList<>();
        view.path("plugins").path(plugin).path("containerd").path("runtimes").fieldNames().forEachRemaining(names::add);
        return names;
    }
}
