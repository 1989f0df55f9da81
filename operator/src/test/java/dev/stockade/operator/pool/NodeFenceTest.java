package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import dev.stockade.api.status.NodeRuntimeStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.stockade.operator.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeFenceTest {

    private static final Taint FOREIGN = new TaintBuilder().withKey("example.com/gpu").withValue("true").withEffect("NoSchedule").build();

    @Test
    void fencingAddsOnlyOurLabelAndTaintAndGuardsWithTheResourceVersion() {
        Node node = versioned(node("n1", Map.of("team", "blue"), FOREIGN), "41");

        List<Map<String, Object>> ops = NodeFence.of(node, "sandbox").fence("NoSchedule").orElseThrow();

        assertEquals(Map.of("op", "replace", "path", "/metadata/resourceVersion", "value", "41"), ops.getFirst());
        assertTrue(ops.contains(Map.of("op", "add", "path", "/metadata/labels/stockade.dev~1pool", "value", "sandbox")));
        Map<String, Object> taints = ops.stream().filter(op -> op.get("path").equals("/spec/taints")).findFirst().orElseThrow();
        assertEquals(List.of(FOREIGN, new TaintBuilder().withKey(Stockade.SANDBOX_TAINT_KEY).withValue("sandbox")
                .withEffect("NoSchedule").build()), taints.get("value"));
        assertFalse(ops.stream().anyMatch(op -> op.get("path").toString().contains("team")), "other labels untouched");
    }

    @Test
    void aFencedNodeNeedsNoPatch() {
        Taint ours = new TaintBuilder().withKey(Stockade.SANDBOX_TAINT_KEY).withValue("sandbox").withEffect("NoSchedule").build();
        Node node = versioned(node("n1", Map.of(Stockade.POOL_LABEL, "sandbox"), FOREIGN, ours), "7");

        assertTrue(NodeFence.of(node, "sandbox").fence("NoSchedule").isEmpty());
    }

    @Test
    void changingTheEffectReplacesOnlyOurTaint() {
        Taint ours = new TaintBuilder().withKey(Stockade.SANDBOX_TAINT_KEY).withValue("sandbox").withEffect("NoSchedule").build();
        Node node = versioned(node("n1", Map.of(Stockade.POOL_LABEL, "sandbox"), ours, FOREIGN), "7");

        List<Map<String, Object>> ops = NodeFence.of(node, "sandbox").fence("NoExecute").orElseThrow();

        assertEquals(List.of(FOREIGN, new TaintBuilder().withKey(Stockade.SANDBOX_TAINT_KEY).withValue("sandbox")
                .withEffect("NoExecute").build()), ops.getLast().get("value"));
    }

    @Test
    void releaseRemovesOnlyThisPolicysKeysUnlessForced() {
        Taint ours = new TaintBuilder().withKey(Stockade.SANDBOX_TAINT_KEY).withValue("sandbox").withEffect("NoSchedule").build();
        Node node = versioned(node("n1", Map.of(Stockade.POOL_LABEL, "sandbox", Stockade.RUNTIME_READY_LABEL, "sandbox",
                "team", "blue"), FOREIGN, ours), "9");
        node.getMetadata().setAnnotations(Map.of(Stockade.RUNTIME_STATUS_ANNOTATION,
                new NodeRuntimeStatus("sandbox", NodeRuntimeStatus.Phase.Ready, "0.1.0", List.of(), Map.of(), "ok").toJson()));

        List<Map<String, Object>> polite = NodeFence.of(node, "sandbox").release(false).orElseThrow();
        assertTrue(polite.contains(Map.of("op", "remove", "path", "/metadata/labels/stockade.dev~1pool")));
        assertFalse(polite.stream().anyMatch(op -> op.get("path").toString().contains("runtime-")),
                "the installer's keys are the installer's to remove: " + polite);

        List<Map<String, Object>> forced = NodeFence.of(node, "sandbox").release(true).orElseThrow();
        assertTrue(forced.contains(Map.of("op", "remove", "path", "/metadata/labels/stockade.dev~1runtime-ready")));
        assertTrue(forced.contains(Map.of("op", "remove", "path", "/metadata/annotations/stockade.dev~1runtime-status")));
        assertEquals(List.of(FOREIGN), forced.getLast().get("value"));
    }

    @Test
    void anotherPolicysKeysAreNeverTouched() {
        Node node = versioned(node("n1", Map.of(Stockade.POOL_LABEL, "other", Stockade.RUNTIME_READY_LABEL, "other")), "3");

        assertTrue(NodeFence.of(node, "sandbox").release(true).isEmpty());
        assertFalse(NodeFence.of(node, "sandbox").hasInstallerFootprint());
    }

    @Test
    void footprintAndRemovalRequestFollowTheInstallersReport() {
        Node node = versioned(node("n1", Map.of(Stockade.POOL_LABEL, "sandbox")), "3");
        node.getMetadata().setAnnotations(Map.of(Stockade.RUNTIME_STATUS_ANNOTATION,
                new NodeRuntimeStatus("sandbox", NodeRuntimeStatus.Phase.Installing, null, null, null, "copying").toJson()));
        assertTrue(NodeFence.of(node, "sandbox").hasInstallerFootprint());

        Node requested = applyAnnotationOps(node, NodeFence.of(node, "sandbox").requestRemoval(Instant.parse("2026-11-29T00:00:00Z")).orElseThrow());
        assertEquals(Instant.parse("2026-11-29T00:00:00Z"), NodeFence.of(requested, "sandbox").ownRemovalRequest().orElseThrow().requestedAt());
        assertTrue(NodeFence.of(requested, "sandbox").requestRemoval(Instant.now()).isEmpty(), "a pending request is kept");

        requested.getMetadata().getAnnotations().put(Stockade.RUNTIME_STATUS_ANNOTATION,
                new NodeRuntimeStatus("sandbox", NodeRuntimeStatus.Phase.Removed, null, null, null, "uninstalled").toJson());
        assertFalse(NodeFence.of(requested, "sandbox").hasInstallerFootprint());
    }

    private static Node applyAnnotationOps(Node node, List<Map<String, Object>> ops) {
        Node copy = Serialization.clone(node);
        copy.getMetadata().setAnnotations(new java.util.HashMap<>(copy.getMetadata().getAnnotations()));
        for (Map<String, Object> op : ops) {
            String path = op.get("path").toString();
            if (path.startsWith("/metadata/annotations/") && op.get("op").equals("add")) {
                copy.getMetadata().getAnnotations().put(path.substring("/metadata/annotations/".length()).replace("~1", "/"),
                        op.get("value").toString());
            }
        }
        return copy;
    }

    private static Node versioned(Node node, String resourceVersion) {
        node.getMetadata().setResourceVersion(resourceVersion);
        return node;
    }
}
