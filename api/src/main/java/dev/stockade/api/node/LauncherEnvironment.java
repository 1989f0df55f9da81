package dev.stockade.api.node;

import dev.stockade.api.InstallerEnvironment;

import java.util.List;

/**
 * Environment variables of a handler's launcher ({@link HostLayout#handlerLauncher}, written by the
 * installer) that the sandbox runtime reads on every create, run and exec. The installer writes
 * them, bin/stockade-runtime passes them on to the resident spec server ({@link #SPEC_SERVER_REQUEST}),
 * and the runtime reads them: the Java sides take the names from here, and a test of the runtime's
 * module checks that the shell launcher uses the same.
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
    /**
     * The supervisor's socket the runtime probes and names as the container's seccomp listener;
     * absent means {@link HostLayout#SUPERVISOR_SOCKET}. The installer does not set it (tests do).
     */
    public static final String SUPERVISOR_SOCKET = "STOCKADE_SUPERVISOR_SOCKET";
    /**
     * The spec server's directory bin/stockade-runtime asks; absent means
     * {@link HostLayout#SPEC_SERVER_DIR}. Read by the shell launcher only; the installer does not set it (tests do).
     */
    public static final String SPEC_SERVER = "STOCKADE_SPEC_SERVER";

    /**
     * The variables bin/stockade-runtime hands, as it has them, to the spec server with each request,
     * so that the server's check sees what a per-create JVM would (besides {@code PWD}, {@code PATH}
     * and {@link #DELEGATE}, which the launcher resolves first). A variable the runtime reads that is
     * missing here would be ignored on the fast path only.
     */
    public static final List<String> SPEC_SERVER_REQUEST = List.of(PROFILE, RUNTIME_LOG, POLICY, SUPERVISOR_SOCKET, KUBELET_ROOT,
            ENGINE_DIRECTORIES);

    private LauncherEnvironment() {
    }
}
