package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stockade.api.node.EngineDirectories;
import dev.stockade.api.node.EngineDirectories.Layout;
import dev.stockade.runtime.json.JsonTrees;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the node's engines and the delegate runtime record about the containers and pod sandboxes
 * already there: the namespaces a container or sandbox is in, and which pod a sandbox is. These
 * records are root's; a spec's annotations are not (any engine user writes them:
 * {@code podman --annotation}, {@code ctr run --label}), so a spec that claims a sandbox proves
 * nothing until its namespaces are the sandbox's. Pure: files are read through {@link HostView}.
 */
final class EngineRecords {

    /** containerd's namespace for the CRI plugin's containers (containerd pkg/cri constants.K8sContainerdNamespace). */
    static final String CRI_NAMESPACE = "k8s.io";
    /** containerd's CRI: the sandbox container's annotation naming the pod's uid (containerd pkg/cri/annotations). */
    static final String CONTAINERD_SANDBOX_UID = "io.kubernetes.cri.sandbox-uid";
    /** CRI-O: the sandbox's annotation holding the kubelet's labels as JSON (cri-o pkg/annotations Labels). */
    static final String CRIO_LABELS = "io.kubernetes.cri-o.Labels";
    /** The kubelet's label with the pod's uid on every sandbox (kubelet pkg/kubelet/types KubernetesPodUIDLabel). */
    static final String KUBELET_POD_UID_LABEL = "io.kubernetes.pod.uid";

    private final HostView host;
    private final EngineDirectories directories;
    private final RuntimeState state;

    /** {@code directories} with their real paths; {@code state} is where the delegate runtime keeps its containers'. */
    EngineRecords(HostView host, EngineDirectories directories, RuntimeState state) {
        this.host = host;
        this.directories = directories;
        this.state = state;
    }

    RuntimeState state() {
        return state;
    }

    /**
     * The namespace of OCI {@code type} that container or sandbox {@code id} is in: its init's, when
     * the delegate runtime runs it under the same --root, else one pinned in the spec a
     * containers/storage engine keeps for it (CRI-O's sandboxes without an infra container). A
     * /proc/&lt;pid&gt; path in a kept spec does not count: that pid may be another process's by now.
     */
    Optional<HostView.Namespace> namespaceOf(String id, String type) {
        Optional<HostView.Namespace> running = host.containerNamespace(state, id, type);
        if (running.isPresent()) {
            return running;
        }
        for (String specPath : storageSpecs(id)) {
            Optional<JsonNode> spec = host.engineJson(specPath);
            if (spec.isPresent()) {
                String path = namespacePath(spec.get(), type);
                return path.isEmpty() || ContainerPaths.isAtOrBelow(Path.of(path).normalize().toString(), "/proc")
                        ? Optional.empty() : host.namespace(path);
            }
        }
        return Optional.empty();
    }

    /**
     * The uid of the pod that sandbox {@code id} of the engine of {@code layout} was created for,
     * from the record that engine keeps: containerd's CRI the sandbox container's bundle
     * ({@code <state>/io.containerd.runtime.v2.task/k8s.io/<id>/config.json}, annotation
     * io.kubernetes.cri.sandbox-uid); CRI-O the sandbox's spec in containers/storage (annotation
     * io.kubernetes.pod.uid, else the kubelet's label of that name in annotation
     * io.kubernetes.cri-o.Labels). Docker's records prove no pod: a container's labels are its
     * user's ({@code docker run --label io.kubernetes.pod.uid=…}, a new user's trial), so
     * cri-dockerd's pods get no kubelet directories. Root's engine clients ({@code ctr},
     * {@code podman}) can write the other two records as well; against them nothing on the node is
     * proof. Empty when no such record is there.
     */
    Optional<String> podUidOf(Layout layout, String id) {
        for (EngineDirectories.Entry entry : directories.entries()) {
            if (entry.layout() != layout) {
                continue;
            }
            Optional<String> uid = switch (layout) {
                case CONTAINERD -> host.engineJson(entry.path() + "/io.containerd.runtime.v2.task/" + CRI_NAMESPACE + "/" + id + "/config.json")
                        .map(spec -> spec.path("annotations").path(CONTAINERD_SANDBOX_UID).asText(""));
                case CONTAINERS_STORAGE -> storageUid(entry.path(), id);
                case DOCKER -> Optional.<String>empty();
            };
            if (uid.isPresent() && !uid.get().isEmpty()) {
                return uid;
            }
        }
        return Optional.empty();
    }

    private Optional<String> storageUid(String directory, String id) {
        for (String driver : EngineFiles.STORAGE_DRIVERS) {
            Optional<JsonNode> spec = host.engineJson(directory + "/" + driver + "-containers/" + id + "/userdata/config.json");
            if (spec.isPresent()) {
                try {
                    JsonNode annotations = spec.get().path("annotations");
                    String uid = annotations.path(KUBELET_POD_UID_LABEL).asText("");
                    return Optional.of(!uid.isEmpty() ? uid
                            : JsonTrees.read(annotations.path(CRIO_LABELS).asText("{}")).path(KUBELET_POD_UID_LABEL).asText(""));
                } catch (IOException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** Where containers/storage engines may keep the spec of {@code id}: {@code <directory>/<driver>-containers/<id>/userdata/config.json}. */
    private List<String> storageSpecs(String id) {
        List<String> specs = new ArrayList<>();
        for (EngineDirectories.Entry entry : directories.entries()) {
            if (entry.layout() == Layout.CONTAINERS_STORAGE) {
                for (String driver : EngineFiles.STORAGE_DRIVERS) {
                    specs.add(entry.path() + "/" + driver + "-containers/" + id + "/userdata/config.json");
                }
            }
        }
        return specs;
    }

    /** The path of the namespace of OCI {@code type} that {@code spec} joins, or "" when it makes its own or names none. */
    static String namespacePath(JsonNode spec, String type) {
        String path = "";
        for (JsonNode namespace : spec.path("linux").path("namespaces")) {
            if (namespace.path("type").asText().equals(type)) {
                path = namespace.path("path").asText("");
            }
        }
        return path;
    }
}
