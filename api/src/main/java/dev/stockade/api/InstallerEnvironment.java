package dev.stockade.api;

/**
 * Environment variables through which the operator's DaemonSet tells the installer what to do.
 * Both sides read these names from here; the installer documents them in its --help.
 */
public final class InstallerEnvironment {

    /** Name of the SandboxPolicy this node serves. */
    public static final String POLICY = "STOCKADE_POLICY";
    /** Node the pod runs on, from the downward API (spec.nodeName). */
    public static final String NODE_NAME = "NODE_NAME";
    /** Runtime classes and their handlers: {@code class=handler,class=handler}. */
    public static final String HANDLERS = "STOCKADE_HANDLERS";
    /** One of {@link #CONTAINER_RUNTIME_CHOICES}. */
    public static final String CONTAINER_RUNTIME = "STOCKADE_CONTAINER_RUNTIME";
    /**
     * The values of {@link #CONTAINER_RUNTIME} the installer accepts: {@code auto} detects the
     * node's runtime, the others name its flavour. The policy's {@code spec.installer.containerRuntime}
     * is one of these, capitalised.
     */
    public static final java.util.List<String> CONTAINER_RUNTIME_CHOICES = java.util.List.of("auto", "containerd", "microk8s", "k3s",
            "rke2", "crio", "docker");
    /** Where the host's root filesystem is mounted in the installer pod. */
    public static final String HOST_ROOT = "STOCKADE_HOST_ROOT";
    /** Directory holding the policy's ConfigMap: one {@code <class>.json} profile per runtime class. */
    public static final String PROFILE_SOURCE = "STOCKADE_PROFILE_SOURCE";

    /**
     * The kubelet's --root-dir on the node: the sandbox runtime allows pod volumes only from its
     * pods/ directory. The installer writes it into each handler's launcher.
     */
    public static final String KUBELET_ROOT = "STOCKADE_KUBELET_ROOT";

    /**
     * How the installer restarts the container runtime after changing its configuration: auto,
     * systemd:&lt;unit&gt;, signal:&lt;process&gt;[:&lt;SIGNAL&gt;] or command:&lt;shell command&gt;.
     */
    public static final String RESTART = "STOCKADE_RESTART";

    /**
     * An extra, unauthenticated /metrics endpoint of the node's seccomp supervisor: HOST:PORT in the
     * host's network, or off (the default; the installer serves the series behind authentication).
     */
    public static final String SUPERVISOR_METRICS = "STOCKADE_SUPERVISOR_METRICS";

    /** Port of the installer's health endpoint: /healthz (alive) and /readyz (install verified). */
    public static final String HEALTH_PORT = "STOCKADE_HEALTH_PORT";

    /**
     * Port of the installer's Prometheus endpoint: HTTPS /metrics with the node's series (installer,
     * supervisor, spec server) for bearer tokens the API server allows {@code get} on the non-resource
     * URL /metrics; 0 turns it off.
     */
    public static final String METRICS_PORT = "STOCKADE_METRICS_PORT";

    public static final String DEFAULT_HOST_ROOT = "/host";
    public static final String DEFAULT_PROFILE_SOURCE = "/etc/stockade-profiles";
    public static final String DEFAULT_KUBELET_ROOT = "/var/lib/kubelet";
    public static final String DEFAULT_RESTART = "auto";
    public static final String DEFAULT_SUPERVISOR_METRICS = "off";
    public static final int DEFAULT_METRICS_PORT = 9465;


    private InstallerEnvironment() {
    }
}
