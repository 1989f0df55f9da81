package dev.stockade.installer.runtime;

import dev.stockade.api.node.HostLayout;

import java.util.regex.Pattern;

/**
 * One container runtime handler: the name kubelet passes for a RuntimeClass, and the launcher
 * the container runtime executes for it instead of runc.
 */
public record Handler(String runtimeClass, String name) {

    /** DNS-label-like names only: a handler name becomes a file name and a TOML/JSON key. */
    private static final Pattern SAFE_NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");

    public Handler {
        if (!SAFE_NAME.matcher(runtimeClass).matches()) {
            throw new IllegalArgumentException("runtime class name '" + runtimeClass
                    + "' is not a lower-case DNS label (a-z, 0-9, '-', '.')");
        }
        if (!SAFE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("handler name '" + name + "' of runtime class '" + runtimeClass
                    + "' is not a lower-case DNS label (a-z, 0-9, '-', '.')");
        }
    }

    /** Host-absolute path of the launcher script, as written into the container runtime's config. */
    public String launcher() {
        return HostLayout.handlerLauncher(name);
    }
}
