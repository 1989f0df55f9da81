package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.stockade.operator.Fixtures.node;
import static dev.stockade.operator.Fixtures.selectLabel;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which node updates wake a policy: those that can change a pool, and not the control plane's
 * own churn (what kept the operator busy while idle at 5000 KWOK nodes).
 */
class NodeChangesTest {

    private static final List<PoolAssignment.Claim> CLAIMS = List.of(
            new PoolAssignment.Claim("untrusted", Instant.parse("2026-01-01T00:00:00Z"), selectLabel("sandbox", "yes"), null, false));
    private static final Taint NOT_READY = new TaintBuilder().withKey("node.kubernetes.io/not-ready").withEffect("NoSchedule").build();
    private static final Taint UNREACHABLE = new TaintBuilder().withKey("node.kubernetes.io/unreachable").withEffect("NoExecute").build();
    private static final Taint OWN = new TaintBuilder().withKey(Stockade.SANDBOX_TAINT_KEY).withValue("untrusted").withEffect("NoSchedule").build();

    private static Node pooled(Map<String, String> extraLabels, Map<String, String> annotations, Taint... taints) {
        Map<String, String> labels = new HashMap<>(Map.of("sandbox", "yes", Stockade.POOL_LABEL, "untrusted"));
        labels.putAll(extraLabels);
        Node node = node("n1", labels, taints);
        node.getMetadata().setAnnotations(annotations);
        return node;
    }

    @Test
    void theControlPlanesOwnChurnWakesNoPolicy() {
        Node before = pooled(Map.of(), Map.of("node.alpha.kubernetes.io/ttl", "0"), OWN, NOT_READY);
        assertFalse(NodeChanges.changesAPool(pooled(Map.of(), Map.of("node.alpha.kubernetes.io/ttl", "15"), OWN, NOT_READY), before, CLAIMS),
                "the TTL controller's annotation");
        assertFalse(NodeChanges.changesAPool(pooled(Map.of(), Map.of("node.alpha.kubernetes.io/ttl", "0"), OWN, UNREACHABLE), before, CLAIMS),
                "the node lifecycle controller's taints");
        assertFalse(NodeChanges.changesAPool(pooled(Map.of("beta.kubernetes.io/os", "linux"), Map.of("node.alpha.kubernetes.io/ttl", "0"),
                OWN, NOT_READY), before, CLAIMS), "a label no selector looks at");
        Node heartbeat = new NodeBuilder(before).editMetadata().withResourceVersion("2").endMetadata()
                .withNewStatus().addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
        assertFalse(NodeChanges.changesAPool(heartbeat, before, CLAIMS), "a kubelet's status update");
    }

    @Test
    void whatAPoolDependsOnWakesIt() {
        Node before = pooled(Map.of(), Map.of());
        assertTrue(NodeChanges.changesAPool(node("n1", Map.of(Stockade.POOL_LABEL, "untrusted")), before, CLAIMS),
                "the node left the selector");
        assertTrue(NodeChanges.changesAPool(node("n1", Map.of("sandbox", "yes")), before, CLAIMS), "someone removed the pool label");
        assertTrue(NodeChanges.changesAPool(pooled(Map.of(), Map.of(Stockade.RUNTIME_STATUS_ANNOTATION, "{\"phase\":\"Ready\"}")), before, CLAIMS),
                "the installer reported");
        assertTrue(NodeChanges.changesAPool(pooled(Map.of(Stockade.RUNTIME_READY_LABEL, "untrusted"), Map.of()), before, CLAIMS),
                "the installer's ready label");
        assertTrue(NodeChanges.changesAPool(before, pooled(Map.of(), Map.of(), OWN), CLAIMS), "someone removed the sandbox taint");
        Node deleting = new NodeBuilder(before).editMetadata().withDeletionTimestamp("2026-11-30T17:00:00Z").endMetadata().build();
        assertTrue(NodeChanges.changesAPool(deleting, before, CLAIMS), "the node is being deleted");
        Node outside = node("n2", Map.of("sandbox", "no"));
        assertTrue(NodeChanges.changesAPool(node("n2", Map.of("sandbox", "yes")), outside, CLAIMS), "a node came into the selector");
    }
}
