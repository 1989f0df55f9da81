package dev.stockade.installer.runtime;

import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The container runtime flavours the installer can register handlers with. */
public enum RuntimeKind {
    CONTAINERD("/run/containerd/containerd.sock"),
    MICROK8S("/var/snap/microk8s/common/run/containerd.sock"),
    K3S("/run/k3s/containerd/containerd.sock"),
    RKE2("/run/k3s/containerd/containerd.sock"),
    CRIO("/var/run/crio/crio.sock"),
    DOCKER("/var/run/docker.sock");

    private final String socket;

    RuntimeKind(String socket) {
        this.socket = socket;
    }

    /** Host-absolute path of the socket that answers once the runtime is up. */
    public String socket() {
        return socket;
    }

    public String settingName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a setting; {@code auto} (or empty) means detect from the host's file system. */
    public static RuntimeKind resolve(String setting, HostRoot host) throws InstallerException {
        if (setting == null || setting.isBlank() || setting.equalsIgnoreCase("auto")) {
            return detect(host);
        }
        for (RuntimeKind kind : values()) {
            if (kind.settingName().equalsIgnoreCase(setting.strip())) {
                return kind;
            }
        }
        throw new InstallerException("unknown container runtime '" + setting + "' in STOCKADE_CONTAINER_RUNTIME: use auto, "
                + Arrays.stream(values()).map(RuntimeKind::settingName).collect(Collectors.joining(", ")));
    }

    /**
     * MicroK8s, k3s and rke2 first (they embed containerd, and their nodes may also have a stock
     * /etc/containerd), then CRI-O, then containerd; Docker only when nothing else is there,
     * since a Kubernetes node with Docker still runs its pods through containerd.
     */
    public static RuntimeKind detect(HostRoot host) throws InstallerException {
        if (Files.exists(host.resolve(TemplateConfigurator.MICROK8S_ARGS + "/containerd-template.toml"))) {
            return MICROK8S;
        }
        if (Files.isDirectory(host.resolve("/var/lib/rancher/k3s/agent/etc/containerd"))) {
            return K3S;
        }
        if (Files.isDirectory(host.resolve("/var/lib/rancher/rke2/agent/etc/containerd"))) {
            return RKE2;
        }
        if (Files.isDirectory(host.resolve("/etc/crio")) && !Files.isDirectory(host.resolve("/etc/containerd"))) {
            return CRIO;
        }
        if (Files.isDirectory(host.resolve("/etc/containerd")) || Files.exists(host.resolve("/usr/bin/containerd"))
                || Files.exists(host.resolve("/usr/local/bin/containerd"))) {
            return CONTAINERD;
        }
        if (Files.isDirectory(host.resolve("/etc/docker"))) {
            return DOCKER;
        }
        throw new InstallerException("no supported container runtime found under " + host.path()
                + " (looked for /var/snap/microk8s/current/args/containerd-template.toml, "
                + "/var/lib/rancher/{k3s,rke2}/agent/etc/containerd, /etc/crio, /etc/containerd, /etc/docker); "
                + "set STOCKADE_CONTAINER_RUNTIME to containerd, microk8s, k3s, rke2, crio or docker");
    }
}
