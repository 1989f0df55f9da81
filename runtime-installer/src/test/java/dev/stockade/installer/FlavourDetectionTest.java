package dev.stockade.installer;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.preset.FlavourDetector;
import dev.stockade.installer.preset.RuntimePreset;
import dev.stockade.installer.preset.RuntimePresets;
import dev.stockade.installer.runtime.RuntimeKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The detection table ({@link RuntimePresets#detectionOrder}) against host trees: each flavour's
 * own layout, hosts that carry more than one runtime's files, and a host with none.
 */
class FlavourDetectionTest {

    private static final String CONFIG = RuntimePresets.CONTAINERD_CONFIG;

    @TempDir
    Path directory;

    private FakeHost host(String name, String... hostFiles) throws IOException {
        FakeHost host = new FakeHost(Files.createDirectories(directory.resolve(name)));
        for (String file : hostFiles) {
            host.write(file, "");
        }
        return host;
    }

    private static RuntimeKind detect(FakeHost host) throws InstallerException {
        return FlavourDetector.resolve("auto", host.hostRoot(), CONFIG).kind();
    }

    /** Each flavour's tree, as the install tests lay it out, is detected as the flavour its configurator serves. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.stockade.installer.Flavour#all")
    void eachFlavoursOwnLayoutIsDetectedAsThatFlavour(Flavour flavour) throws Exception {
        FakeHost host = host("flavour");
        flavour.prepare().accept(host);

        assertEquals(flavour.configurator().apply(host.hostRoot()).kind(), detect(host));
    }

    static Stream<Arguments> mixedHosts() {
        return Stream.of(
                Arguments.of("a k3s node that also has a stock /etc/containerd and containerd binary", RuntimeKind.K3S,
                        List.of("/var/lib/rancher/k3s/agent/etc/containerd/config.toml", CONFIG, "/usr/bin/containerd")),
                Arguments.of("an RKE2 node with /etc/containerd", RuntimeKind.RKE2,
                        List.of("/var/lib/rancher/rke2/agent/etc/containerd/config.toml", CONFIG)),
                Arguments.of("a MicroK8s node with /etc/containerd and /etc/docker", RuntimeKind.MICROK8S,
                        List.of(RuntimePresets.MICROK8S_ARGS + "/containerd-template.toml", CONFIG, "/etc/docker/daemon.json")),
                Arguments.of("a Docker host with containerd: Docker's containerd runs the node's pods", RuntimeKind.CONTAINERD,
                        List.of("/etc/docker/daemon.json", "/usr/bin/containerd")),
                Arguments.of("a Docker host with /etc/containerd", RuntimeKind.CONTAINERD,
                        List.of("/etc/docker/daemon.json", CONFIG)),
                Arguments.of("a Docker host with nothing else", RuntimeKind.DOCKER,
                        List.of("/etc/docker/daemon.json")),
                Arguments.of("CRI-O beside /etc/containerd: containerd", RuntimeKind.CONTAINERD,
                        List.of("/etc/crio/crio.conf", CONFIG)),
                Arguments.of("CRI-O beside a containerd binary alone (no /etc/containerd): CRI-O", RuntimeKind.CRIO,
                        List.of("/etc/crio/crio.conf", "/usr/local/bin/containerd")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mixedHosts")
    void aHostWithSeveralRuntimesFilesIsTheFlavourFirstInTheTable(String name, RuntimeKind expected, List<String> files) throws Exception {
        assertEquals(expected, detect(host("mixed", files.toArray(String[]::new))));
    }

    /** The markers that count as directories count only as directories: a file named /etc/docker is not Docker. */
    /** The settings the operator may send (api's list) are exactly auto and the flavours' names. */
    @Test
    void theSettingsTheOperatorSendsAreAutoAndTheFlavours() {
        List<String> accepted = Stream.concat(Stream.of("auto"), Arrays.stream(RuntimeKind.values()).map(RuntimeKind::settingName)).toList();
        assertEquals(InstallerEnvironment.CONTAINER_RUNTIME_CHOICES, accepted);
    }

    @Test
    void aDirectoryMarkerIsNotMetByAFile() throws Exception {
        FakeHost host = host("file", "/etc/docker", "/etc/crio");

        InstallerException refusal = assertThrows(InstallerException.class, () -> detect(host));
        assertTrue(refusal.getMessage().startsWith("no supported container runtime found under " + host.root), refusal.getMessage());
    }

    @Test
    void aHostWithNoRuntimeIsRefusedWithWhatWasLookedForAndTheSettingThatChooses() throws Exception {
        FakeHost host = host("bare", "/usr/bin/runc", "/etc/hostname");

        InstallerException refusal = assertThrows(InstallerException.class, () -> detect(host));

        String message = refusal.getMessage();
        assertTrue(message.startsWith("no supported container runtime found under " + host.root), message);
        for (String lookedFor : List.of(RuntimePresets.MICROK8S_ARGS + "/containerd-template.toml", "/var/lib/rancher/k3s/agent/etc/containerd/",
                "/var/lib/rancher/rke2/agent/etc/containerd/", "/etc/crio/", "/etc/containerd/", "/usr/bin/containerd", "/etc/docker/")) {
            assertTrue(message.contains(lookedFor), lookedFor + " in: " + message);
        }
        assertTrue(message.endsWith("set STOCKADE_CONTAINER_RUNTIME to containerd, microk8s, k3s, rke2, crio, docker"), message);
    }

    /** A named flavour is taken as it is, without looking at the host (a bare host here), whatever its case. */
    @Test
    void aNamedFlavourNeedsNoDetectionAndAnUnknownNameListsTheChoices() throws Exception {
        HostRoot bare = host("named").hostRoot();
        for (RuntimeKind kind : RuntimeKind.values()) {
            assertEquals(kind, FlavourDetector.resolve(" " + kind.settingName().toUpperCase() + " ", bare, CONFIG).kind());
        }

        InstallerException refusal = assertThrows(InstallerException.class, () -> FlavourDetector.resolve("podman", bare, CONFIG));
        assertEquals("unknown container runtime 'podman' in STOCKADE_CONTAINER_RUNTIME: use auto, containerd, microk8s, k3s, rke2, crio, docker",
                refusal.getMessage());
    }

    /** The table has one preset per flavour, and stock containerd's follows STOCKADE_CONTAINERD_CONFIG. */
    @Test
    void theTableHasOnePresetPerFlavourAndContainerdsFilesFollowItsConfig() {
        List<RuntimeKind> order = RuntimePresets.detectionOrder(CONFIG).stream().map(RuntimePreset::kind).toList();
        assertEquals(List.of(RuntimeKind.MICROK8S, RuntimeKind.K3S, RuntimeKind.RKE2, RuntimeKind.CRIO, RuntimeKind.CONTAINERD, RuntimeKind.DOCKER), order);
        assertEquals(Arrays.stream(RuntimeKind.values()).collect(Collectors.toSet()), Set.copyOf(order));
        for (RuntimeKind kind : RuntimeKind.values()) {
            assertEquals(kind, RuntimePresets.of(kind, CONFIG).kind());
        }

        RuntimePreset custom = RuntimePresets.containerd("/srv/containerd/config.toml");
        assertEquals("/srv/containerd/config.toml", custom.configFile());
        assertEquals(new RuntimePreset.ContainerdDropIn("/srv/containerd/conf.d/stockade.toml"), custom.configuration());
        assertEquals(List.of("/srv/containerd/conf.d/stockade.toml", "/srv/containerd/config.toml"),
                custom.containerdCheck().orElseThrow().newerThan());
    }

    /** k3s and RKE2 restart their agent unit where the host has one, else their server unit; dockerd gets SIGHUP. */
    @Test
    void theAutomaticRestartIsTheFlavoursUnitOrSignal() throws Exception {
        FakeHost agent = host("agent", "/etc/systemd/system/k3s-agent.service");
        FakeHost server = host("server", "/usr/local/lib/systemd/system/rke2-server.service");
        FakeHost none = host("none");

        assertEquals("systemctl restart k3s-agent", restart(RuntimePresets.K3S, agent));
        assertEquals("systemctl restart k3s", restart(RuntimePresets.K3S, none));
        assertEquals("systemctl restart rke2-server", restart(RuntimePresets.RKE2, server));
        assertEquals("systemctl restart rke2-server", restart(RuntimePresets.RKE2, none));
        assertEquals("systemctl restart containerd", restart(RuntimePresets.containerd(CONFIG), none));
        assertEquals("systemctl restart snap.microk8s.daemon-containerd", restart(RuntimePresets.MICROK8S, none));
        assertEquals("systemctl restart crio", restart(RuntimePresets.CRIO, none));
        assertEquals("SIGHUP to dockerd", InstallerFactory.restarter("auto", () -> { }, RuntimePresets.DOCKER, none.hostRoot()).describe());
    }

    private static String restart(RuntimePreset preset, FakeHost host) throws InstallerException {
        String command = InstallerFactory.restarter("auto", () -> { }, preset, host.hostRoot()).describe();
        return command.substring(command.indexOf("systemctl"));
    }
}
