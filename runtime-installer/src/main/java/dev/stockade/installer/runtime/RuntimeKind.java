package dev.stockade.installer.runtime;

import java.util.Locale;

/**
 * The names of the container runtime flavours the installer can register handlers with; what
 * each one is (detection, paths, socket, restart, engine) is its preset in
 * {@link dev.stockade.installer.preset.RuntimePresets}.
 */
public enum RuntimeKind {
    CONTAINERD, MICROK8S, K3S, RKE2, CRIO, DOCKER;

    /** The name in {@code STOCKADE_CONTAINER_RUNTIME} and in the install state. */
    public String settingName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
