package dev.stockade.api.node;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The OCI annotations through which a container engine names the Kubernetes pod and container a
 * spec belongs to: containerd's CRI plugin writes {@code io.kubernetes.cri.*}
 * (containerd pkg/cri/annotations), CRI-O writes {@code io.kubernetes.pod.*} and
 * {@code io.kubernetes.container.name} (cri-o internal/annotations, from the kubelet's labels). The
 * runtime and the supervisor read a pod's identity here, in this order.
 */
public final class CriAnnotations {

    public static final String CONTAINERD_SANDBOX_NAMESPACE = "io.kubernetes.cri.sandbox-namespace";
    public static final String CONTAINERD_SANDBOX_NAME = "io.kubernetes.cri.sandbox-name";
    public static final String CONTAINERD_CONTAINER_NAME = "io.kubernetes.cri.container-name";
    public static final String CRIO_POD_NAMESPACE = "io.kubernetes.pod.namespace";
    public static final String CRIO_POD_NAME = "io.kubernetes.pod.name";
    public static final String CRIO_CONTAINER_NAME = "io.kubernetes.container.name";
    /** The pod sandbox's id: containerd writes it on the sandbox's own container too. */
    public static final String CONTAINERD_SANDBOX_ID = "io.kubernetes.cri.sandbox-id";
    /** CRI-O's name for the pod sandbox's id (cri-o pkg/annotations). */
    public static final String CRIO_SANDBOX_ID = "io.kubernetes.cri-o.SandboxID";

    public static final List<String> POD_NAMESPACE = List.of(CONTAINERD_SANDBOX_NAMESPACE, CRIO_POD_NAMESPACE);
    public static final List<String> POD_NAME = List.of(CONTAINERD_SANDBOX_NAME, CRIO_POD_NAME);
    public static final List<String> CONTAINER_NAME = List.of(CONTAINERD_CONTAINER_NAME, CRIO_CONTAINER_NAME);
    public static final List<String> SANDBOX_ID = List.of(CONTAINERD_SANDBOX_ID, CRIO_SANDBOX_ID);

    /**
     * @param annotations an annotation's value by key, null or empty when absent
     * @param keys        one of {@link #POD_NAMESPACE}, {@link #POD_NAME}, {@link #CONTAINER_NAME}, {@link #SANDBOX_ID}
     * @return the first non-empty value, or "" when no engine named it (not a Kubernetes container)
     */
    public static String first(UnaryOperator<String> annotations, List<String> keys) {
        for (String key : keys) {
            String value = annotations.apply(key);
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        return "";
    }

    private CriAnnotations() {
    }
}
