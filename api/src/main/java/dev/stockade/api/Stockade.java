package dev.stockade.api;

import java.nio.file.Path;

/**
 * Names that the operator, the installer and the runtime agree on. Changing one of these breaks
 * nodes that an older version fenced, so they change only with a migration.
 */
public final class Stockade {

    public static final String GROUP = "stockade.dev";
    public static final String VERSION = "v1alpha1";

    /** Written by the operator on every node of a policy's pool; the installer DaemonSet targets it. */
    public static final String POOL_LABEL = GROUP + "/pool";
    /** Written by the operator; keeps ordinary pods off the pool. */
    public static final String SANDBOX_TAINT_KEY = GROUP + "/sandbox";
    /** Written by the installer only after it verified its handlers; RuntimeClasses select on it. */
    public static final String RUNTIME_READY_LABEL = GROUP + "/runtime-ready";
    /** Written by the installer: a {@link dev.stockade.api.status.NodeRuntimeStatus} as JSON. */
    public static final String RUNTIME_STATUS_ANNOTATION = GROUP + "/runtime-status";

    /**
     * Written by the operator on a pool node that is leaving the pool (value: the policy). The
     * installer on that node then uninstalls, removes its ready label and reports phase Removed;
     * only after that does the operator remove the taint and the pool label.
     */
    public static final String REMOVAL_REQUEST_ANNOTATION = GROUP + "/removal-requested";

    /** How an installer may restart the container runtime (see InstallerEnvironment.RESTART). */
    public static final String RESTART_PATTERN = "^(auto|systemd:[A-Za-z0-9@:._-]+|signal:[A-Za-z0-9._-]+(:(SIG)?[A-Z0-9]+)?|command:.+)$";
    /** A supervisor metrics address: HOST:PORT (IPv4, a name, or [IPv6]) or off. */
    public static final String SUPERVISOR_METRICS_PATTERN = "^(off|([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5})$";
    /** What a kubelet root directory may look like: absolute, and safe in a shell script without quoting. */
    public static final String KUBELET_ROOT_PATTERN = "^/[A-Za-z0-9._/-]*$";

    /** A kubelet root the handler launchers may carry: matches {@link #KUBELET_ROOT_PATTERN} and is normalized (no "..", no trailing "/"). */
    public static boolean isKubeletRoot(String path) {
        return path.matches(KUBELET_ROOT_PATTERN) && Path.of(path).normalize().toString().equals(path);
    }

    /** File name of a runtime class's profile, in the ConfigMap and under {@link dev.stockade.api.node.HostLayout#PROFILE_DIR}. */
    public static String profileFileName(String runtimeClassName) {
        return runtimeClassName + ".json";
    }

    /** The container runtime handler of a runtime class when the policy does not name one. */
    public static String defaultHandlerName(String runtimeClassName) {
        return "stockade-" + runtimeClassName;
    }

    private Stockade() {
    }
}
