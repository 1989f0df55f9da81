package dev.stockade.operator.policy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.stockade.api.Stockade;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

import java.util.List;

public class InstallerSpec {

    @JsonPropertyDescription("Installer image. Default: the image this operator release ships with.")
    private String image;

    @JsonPropertyDescription("Image pull policy of the installer: Always, IfNotPresent or Never.")
    @Default("IfNotPresent")
    private PullPolicy imagePullPolicy;

    @JsonPropertyDescription("Secrets for pulling the installer image from a private registry.")
    private List<LocalObjectReference> imagePullSecrets;

    @JsonPropertyDescription("CPU and memory of the installer container. Default: requests 10m CPU and 64Mi memory, limit 256Mi memory.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("The nodes' container runtime: Auto detects it; Containerd, MicroK8s, K3s, Rke2, Crio or Docker force one.")
    @Default("Auto")
    private ContainerRuntime containerRuntime;

    @JsonPropertyDescription("Where the host's root filesystem is mounted inside the installer pod. Change only if the installer image expects another path.")
    @Default("/host")
    private String hostRootMountPath;

    @JsonPropertyDescription("The kubelet's --root-dir on the pool's nodes, used only where the installer reads no running kubelet's. "
            + "It reads the kubelet's command line, MicroK8s's kubelite arguments file, and k3s's and RKE2's config.yaml, drop-ins and "
            + "--kubelet-arg; a running kubelet's root, its default /var/lib/kubelet included, wins over this setting. The sandbox "
            + "runtime allows pod volumes only from its pods/ directory.")
    @Default("/var/lib/kubelet")
    @Pattern(Stockade.KUBELET_ROOT_PATTERN)
    private String kubeletRootDir;

    @JsonPropertyDescription("How the installer restarts the container runtime after registering the handlers (only when its configuration "
            + "changed): auto (systemd's containerd, snap.microk8s.daemon-containerd, k3s, k3s-agent, rke2-server, rke2-agent or crio unit; SIGHUP to dockerd), "
            + "systemd:<unit>, signal:<process>[:<SIGNAL>], or command:<shell command>, run in the installer container with the host's "
            + "root at hostRootMountPath (for hosts without systemd, e.g. command:nsenter -t 1 -m -u -i -n -p -- rc-service containerd restart).")
    @Default("auto")
    @Pattern(Stockade.RESTART_PATTERN)
    private String containerRuntimeRestart;

    @JsonPropertyDescription("An extra, unauthenticated Prometheus endpoint /metrics for each node's seccomp supervisor (started for "
            + "profiles with kernelIdentity or tripwireSyscalls): HOST:PORT in the node's network namespace, or off. Off by default: every "
            + "pod that can reach the node, the pool's own included, could read other tenants' pod names and escape attempts there. The "
            + "installer pod serves the same series behind authentication on its metrics port. A change hands over to a new supervisor "
            + "without breaking running sandboxes.")
    @Default("off")
    @Pattern(Stockade.SUPERVISOR_METRICS_PATTERN)
    private String supervisorMetrics;

    public enum PullPolicy { Always, IfNotPresent, Never }

    /** The installer's {@code InstallerEnvironment.CONTAINER_RUNTIME_CHOICES}, capitalised (InstallerObjectsTest checks). */
    public enum ContainerRuntime { Auto, Containerd, MicroK8s, K3s, Rke2, Crio, Docker }

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public PullPolicy getImagePullPolicy() {
        return imagePullPolicy;
    }

    public void setImagePullPolicy(PullPolicy imagePullPolicy) {
        this.imagePullPolicy = imagePullPolicy;
    }

    public List<LocalObjectReference> getImagePullSecrets() {
        return imagePullSecrets;
    }

    public void setImagePullSecrets(List<LocalObjectReference> imagePullSecrets) {
        this.imagePullSecrets = imagePullSecrets;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }

    public ContainerRuntime getContainerRuntime() {
        return containerRuntime;
    }

    public void setContainerRuntime(ContainerRuntime containerRuntime) {
        this.containerRuntime = containerRuntime;
    }

    public String getContainerRuntimeRestart() {
        return containerRuntimeRestart;
    }

    public void setContainerRuntimeRestart(String containerRuntimeRestart) {
        this.containerRuntimeRestart = containerRuntimeRestart;
    }

    public String getSupervisorMetrics() {
        return supervisorMetrics;
    }

    public void setSupervisorMetrics(String supervisorMetrics) {
        this.supervisorMetrics = supervisorMetrics;
    }

    public String getKubeletRootDir() {
        return kubeletRootDir;
    }

    public void setKubeletRootDir(String kubeletRootDir) {
        this.kubeletRootDir = kubeletRootDir;
    }

    public String getHostRootMountPath() {
        return hostRootMountPath;
    }

    public void setHostRootMountPath(String hostRootMountPath) {
        this.hostRootMountPath = hostRootMountPath;
    }
}
