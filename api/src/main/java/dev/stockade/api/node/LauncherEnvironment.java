package dev.stockade.api.node;

import dev.stockade.api.InstallerEnvironment;

/**
 * Environment variables of a handler's launcher (/opt/stockade/handlers/&lt;handler&gt;, written by the
 * installer) that the sandbox runtime reads on every create, run and exec. The installer writes
 * them, bin/stockade-runtime passes them on to the resident spec server, and the runtime reads them:
 * all three take the names from here.
 */
public final class LauncherEnvironment {

    /** The runtime class's profile, {@code /etc/stockade/profiles/<class>.json}; required. */
    public static final String PROFILE = "STOCKADE_PROFILE";
    /** The SandboxPolicy the handler serves, passed to the supervisor with each container. */
    public static final String POLICY = "STOCKADE_POLICY";
    /** The kubelet's --root-dir; absent means {@link InstallerEnvironment#DEFAULT_KUBELET_ROOT}. */
    public static final String KUBELET_ROOT = InstallerEnvironment.KUBELET_ROOT;
    /**
     * The container engine's directories in which it keeps each container's or pod sandbox's own
     * files (hostname, hosts, resolv.conf, shm…): an {@link EngineDirectories} in its text form,
     * {@code layout:/path layout:/path}. Absent means {@link EngineDirectories#DEFAULTS}.
     */
    public static final String ENGINE_DIRECTORIES = "STOCKADE_ENGINE_DIRECTORIES";
    /** runc (default), crun, or the delegate runtime's absolute path. */
    public static final String DELEGATE = "STOCKADE_DELEGATE";
    /** Optional file for the runtime's own log. */
    public static final String RUNTIME_LOG = "STOCKADE_RUNTIME_LOG";

    private LauncherEnvironment() {
    }
}
