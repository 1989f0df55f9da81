package dev.stockade.installer.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.Stockade;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.api.status.RemovalRequest;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.util.Map;
import java.util.Optional;

/**
 * Reports the node through the API server: the ready label {@code stockade.dev/runtime-ready}
 * and the status annotation {@code stockade.dev/runtime-status}, the only two keys the installer
 * writes and the only ones it removes. Writes are JSON patches touching just those keys (the
 * node's other labels and annotations belong to others), and only when the value changes.
 */
public final class NodeReporter {

    private static final ObjectMapper MAPPER = JsonMapper.builder().build();

    private final KubernetesClient client;
    private final String nodeName;

    public NodeReporter(KubernetesClient client, String nodeName) {
        this.client = client;
        this.nodeName = nodeName;
    }

    /** Verified: ready label and status. */
    public void ready(NodeRuntimeStatus status) {
        write(Optional.of(status.policy()), Optional.of(status.toJson()));
    }

    /** Not (or no longer) usable: the ready label goes first, the status says why. */
    public void notReady(NodeRuntimeStatus status) {
        write(Optional.empty(), Optional.of(status.toJson()));
    }

    /** Removes both keys (uninstall that nobody asked to report on). */
    public void clear() {
        write(Optional.empty(), Optional.empty());
    }

    /** The policy asking this node's installer to uninstall, if the operator requested it. */
    public Optional<RemovalRequest> removalRequest() {
        Node node = node();
        Map<String, String> annotations = node.getMetadata().getAnnotations();
        return RemovalRequest.parse(annotations == null ? null : annotations.get(Stockade.REMOVAL_REQUEST_ANNOTATION));
    }

    private void write(Optional<String> readyLabel, Optional<String> statusAnnotation) {
        Node node = node();
        ArrayNode patch = MAPPER.createArrayNode();
        addOps(patch, "/metadata/labels", node.getMetadata().getLabels(), Stockade.RUNTIME_READY_LABEL, readyLabel);
        addOps(patch, "/metadata/annotations", node.getMetadata().getAnnotations(), Stockade.RUNTIME_STATUS_ANNOTATION, statusAnnotation);
        if (patch.isEmpty()) {
            return;
        }
        client.nodes().withName(nodeName).patch(PatchContext.of(PatchType.JSON), patch.toString());
    }

    private static void addOps(ArrayNode patch, String mapPath, Map<String, String> current, String key, Optional<String> wanted) {
        String pointer = mapPath + "/" + key.replace("~", "~0").replace("/", "~1");
        String existing = current == null ? null : current.get(key);
        if (wanted.isEmpty()) {
            if (existing != null) {
                // The test op makes the removal fail rather than drop a value someone changed meanwhile.
                patch.add(op("test", pointer).put("value", existing));
                patch.add(op("remove", pointer));
            }
            return;
        }
        if (wanted.get().equals(existing)) {
            return;
        }
        if (current == null) {
            ObjectNode add = op("add", mapPath);
            add.putObject("value").put(key, wanted.get());
            patch.add(add);
        } else {
            patch.add(op("add", pointer).put("value", wanted.get()));
        }
    }

    private static ObjectNode op(String name, String path) {
        ObjectNode op = MAPPER.createObjectNode();
        op.put("op", name);
        op.put("path", path);
        return op;
    }

    private Node node() {
        Node node = client.nodes().withName(nodeName).get();
        if (node == null) {
            throw new KubernetesClientException("node " + nodeName + " (NODE_NAME) does not exist in the API server");
        }
        return node;
    }
}
