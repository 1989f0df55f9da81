package dev.stockade.installer.preset;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.preset.RuntimePreset.ContainerdCheck;
import dev.stockade.installer.preset.RuntimePreset.ContainerdDropIn;
import dev.stockade.installer.preset.RuntimePreset.ContainerdTemplate;
import dev.stockade.installer.preset.RuntimePreset.ContainersStorage;
import dev.stockade.installer.preset.RuntimePreset.CrioDropIn;
import dev.stockade.installer.preset.RuntimePreset.DaemonJson;
import dev.stockade.installer.preset.RuntimePreset.Detection;
import dev.stockade.installer.preset.RuntimePreset.Docker;
import dev.stockade.installer.preset.RuntimePreset.Marker;
import dev.stockade.installer.preset.RuntimePreset.Signal;
import dev.stockade.installer.preset.RuntimePreset.SystemdUnit;
import dev.stockade.installer.runtime.RuntimeKind;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The presets of the six flavours the installer supports, in one table, and the pure decisions
 * over it: which preset a setting names, and which one a host is from the markers found on it
 * ({@link FlavourDetector} looks for them). Sources of the paths: containerd's packaging
 * (/etc/containerd, /run/containerd), k3s and RKE2 ({@code pkg/agent/config}, their containerd
 * templates under /var/lib/rancher/NAME/agent/etc/containerd), the MicroK8s snap
 * ({@code run-containerd-with-args}), CRI-O ({@code pkg/config}), moby ({@code daemon/config}).
 */
public final class RuntimePresets {

    /** Stock containerd's configuration file, the default of {@code STOCKADE_CONTAINERD_CONFIG}. */
    public static final String CONTAINERD_CONFIG = "/etc/containerd/config.toml";
    /** Where the MicroK8s snap keeps containerd's template and the file it renders from it. */
    public static final String MICROK8S_ARGS = "/var/snap/microk8s/current/args";
    /** Where systemd looks for unit files, for the restart of k3s's and RKE2's server or agent unit. */
    public static final List<String> SYSTEMD_UNIT_DIRECTORIES = List.of("/etc/systemd/system", "/usr/local/lib/systemd/system",
            "/lib/systemd/system", "/usr/lib/systemd/system");

    /** CRI-O reads every file under it after crio.conf. */
    public static final String CRIO_DROP_INS = "/etc/crio/crio.conf.d";
    private static final Marker ETC_CONTAINERD = Marker.directory("/etc/containerd");

    public static final RuntimePreset MICROK8S = new RuntimePreset(RuntimeKind.MICROK8S,
            new Detection(List.of(Marker.anything(MICROK8S_ARGS + "/containerd-template.toml")), List.of()),
            "/var/snap/microk8s/common/run/containerd.sock",
            MICROK8S_ARGS + "/containerd.toml",
            new ContainerdTemplate(MICROK8S_ARGS + "/containerd-template.toml", Optional.empty(), false),
            // The snap's wrapper renders containerd.toml from the template, then starts containerd.
            new SystemdUnit(List.of("snap.microk8s.daemon-containerd")),
            // The snap starts containerd with --root and --state under $SNAP_COMMON, read from its flags first.
            new RuntimePreset.Containerd("/var/snap/microk8s/common/var/lib/containerd", "/var/snap/microk8s/common/run/containerd", false),
            // The rendered file shows the template's block once the snap re-rendered it on the restart. Only the
            // template's time counts: the wrapper renders containerd.toml after its process started.
            Optional.of(new ContainerdCheck("/snap/microk8s/current/bin/containerd", MICROK8S_ARGS + "/containerd.toml",
                    List.of(MICROK8S_ARGS + "/containerd-template.toml"))));

    /** k3s servers run the unit k3s, agents k3s-agent. */
    public static final RuntimePreset K3S = rancher(RuntimeKind.K3S, List.of("k3s-agent", "k3s"));

    /** RKE2 servers run rke2-server, agents rke2-agent; its containerd's state is under /run/k3s too. */
    public static final RuntimePreset RKE2 = rancher(RuntimeKind.RKE2, List.of("rke2-agent", "rke2-server"));

    public static final RuntimePreset CRIO = new RuntimePreset(RuntimeKind.CRIO,
            new Detection(List.of(Marker.directory("/etc/crio")), List.of(ETC_CONTAINERD)),
            "/var/run/crio/crio.sock",
            "/etc/crio/crio.conf",
            new CrioDropIn(CRIO_DROP_INS, CRIO_DROP_INS + "/99-stockade.conf"),
            new SystemdUnit(List.of("crio")),
            new ContainersStorage("/etc/containers/storage.conf", CRIO_DROP_INS, "crio"),
            Optional.empty());

    public static final RuntimePreset DOCKER = new RuntimePreset(RuntimeKind.DOCKER,
            new Detection(List.of(Marker.directory("/etc/docker")), List.of()),
            "/var/run/docker.sock",
            "/etc/docker/daemon.json",
            new DaemonJson(),
            new Signal("dockerd", "HUP"),
            new Docker("/var/lib/docker", "/var/run/docker"),
            Optional.empty());

    /**
     * Stock containerd reading {@code configFile} ({@code STOCKADE_CONTAINERD_CONFIG}); Stockade's
     * drop-in is {@code conf.d/stockade.toml} beside it.
     */
    public static RuntimePreset containerd(String configFile) {
        String dropIn = Path.of(configFile).resolveSibling("conf.d").resolve("stockade.toml").toString();
        return new RuntimePreset(RuntimeKind.CONTAINERD,
                new Detection(List.of(ETC_CONTAINERD, Marker.anything("/usr/bin/containerd"), Marker.anything("/usr/local/bin/containerd")),
                        List.of()),
                "/run/containerd/containerd.sock",
                configFile,
                new ContainerdDropIn(dropIn),
                new SystemdUnit(List.of("containerd")),
                new RuntimePreset.Containerd("/var/lib/containerd", "/run/containerd", true),
                Optional.of(new ContainerdCheck("containerd", configFile, List.of(dropIn, configFile))));
    }

    /**
     * The presets in the order detection tries them; the first whose markers the host has wins.
     * <ol>
     * <li>MicroK8s, k3s and RKE2 first: they embed their own containerd, and their nodes often have a
     *     stock /etc/containerd or a containerd binary too (packages, node images), which their
     *     containerd does not read. A node runs one of the three; their order only keeps the choice stable.</li>
     * <li>CRI-O only where there is no /etc/containerd: a node with both is taken as containerd (the
     *     kubelet's {@code --container-runtime-endpoint} would tell, which the installer does not
     *     read); set {@code STOCKADE_CONTAINER_RUNTIME=crio} there.</li>
     * <li>containerd: /etc/containerd or its binary.</li>
     * <li>Docker last: Docker brings its own containerd, and a Kubernetes node with Docker runs its pods
     *     through that containerd, so only a host with nothing but /etc/docker is a Docker host.</li>
     * </ol>
     */
    public static List<RuntimePreset> detectionOrder(String containerdConfig) {
        return List.of(MICROK8S, K3S, RKE2, CRIO, containerd(containerdConfig), DOCKER);
    }

    /** Every path detection looks at, in table order. */
    public static Set<Marker> markers() {
        Set<Marker> markers = new LinkedHashSet<>();
        for (RuntimePreset preset : detectionOrder(CONTAINERD_CONFIG)) {
            markers.addAll(preset.detection().anyOf());
            markers.addAll(preset.detection().noneOf());
        }
        return markers;
    }

    /**
     * The first preset of {@link #detectionOrder} whose detection matches the markers present.
     *
     * @param where the host root, for the message
     * @throws InstallerException when no preset matches, naming what was looked for and the setting that chooses
     */
    public static RuntimePreset detect(Set<Marker> present, String containerdConfig, String where) throws InstallerException {
        for (RuntimePreset preset : detectionOrder(containerdConfig)) {
            if (preset.detection().matches(present)) {
                return preset;
            }
        }
        throw new InstallerException("no supported container runtime found under " + where + " (looked for "
                + markers().stream().map(Marker::toString).collect(Collectors.joining(", ")) + "); set "
                + InstallerEnvironment.CONTAINER_RUNTIME + " to " + choices());
    }

    /**
     * The preset a setting names ({@code STOCKADE_CONTAINER_RUNTIME}); empty for {@code auto} or an
     * empty setting, which mean detect.
     *
     * @throws InstallerException for any other name, listing the choices
     */
    public static Optional<RuntimePreset> named(String setting, String containerdConfig) throws InstallerException {
        if (setting == null || setting.isBlank() || setting.equalsIgnoreCase("auto")) {
            return Optional.empty();
        }
        for (RuntimeKind kind : RuntimeKind.values()) {
            if (kind.settingName().equalsIgnoreCase(setting.strip())) {
                return Optional.of(of(kind, containerdConfig));
            }
        }
        throw new InstallerException("unknown container runtime '" + setting + "' in " + InstallerEnvironment.CONTAINER_RUNTIME
                + ": use auto, " + choices());
    }

    /** The preset of a flavour; {@code containerdConfig} is stock containerd's configuration file. */
    public static RuntimePreset of(RuntimeKind kind, String containerdConfig) {
        return switch (kind) {
            case CONTAINERD -> containerd(containerdConfig);
            case MICROK8S -> MICROK8S;
            case K3S -> K3S;
            case RKE2 -> RKE2;
            case CRIO -> CRIO;
            case DOCKER -> DOCKER;
        };
    }

    /** The flavours' setting names, in {@link RuntimeKind} order: {@code containerd, microk8s, k3s, rke2, crio, docker}. */
    public static String choices() {
        return Arrays.stream(RuntimeKind.values()).map(RuntimeKind::settingName).collect(Collectors.joining(", "));
    }

    /** k3s and RKE2: containerd under /var/lib/rancher/NAME/agent, rendered from a Go template on every start. */
    private static RuntimePreset rancher(RuntimeKind kind, List<String> units) {
        String directory = "/var/lib/rancher/" + kind.settingName() + "/agent/etc/containerd";
        return new RuntimePreset(kind,
                new Detection(List.of(Marker.directory(directory)), List.of()),
                "/run/k3s/containerd/containerd.sock",
                directory + "/config.toml",
                new ContainerdTemplate(directory + "/config.toml.tmpl", Optional.of(directory + "/config-v3.toml.tmpl"), true),
                new SystemdUnit(units),
                // k3s and RKE2 pass --root and --state to their containerd; these are what they pass.
                new RuntimePreset.Containerd("/var/lib/rancher/" + kind.settingName() + "/agent/containerd", "/run/k3s/containerd", false),
                Optional.empty());
    }

    private RuntimePresets() {
    }
}
