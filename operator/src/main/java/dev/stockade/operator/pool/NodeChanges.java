package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Which node updates can change a pool, and so wake a policy. A pool depends only on Stockade's
 * own labels, annotations and taint on the node ({@value Stockade#GROUP}/ keys) and on which
 * policies' nodeSelectors match the node's labels. Everything else changes all the time without
 * concerning a pool: kubelets update their node's status every few seconds, the TTL controller
 * rewrites {@code node.alpha.kubernetes.io/ttl} as the cluster grows, and the node lifecycle
 * controller swaps not-ready and unreachable taints on a loaded control plane. At 5000 KWOK nodes
 * such changes kept the operator reconciling while idle (test/cluster/bench/scale). The informer's
 * cache still takes every update, so a patch is always computed from the node's latest taints.
 */
public final class NodeChanges {

    private static final String OWN_PREFIX = Stockade.GROUP + "/";

    /** Whether going from {@code previous} to {@code updated} can change the pool of any of {@code claims}. */
    public static boolean changesAPool(Node updated, Node previous, Collection<PoolAssignment.Claim> claims) {
        return !own(updated.getMetadata().getLabels()).equals(own(previous.getMetadata().getLabels()))
                || !own(updated.getMetadata().getAnnotations()).equals(own(previous.getMetadata().getAnnotations()))
                || !ownTaints(updated).equals(ownTaints(previous))
                || !Objects.equals(updated.getMetadata().getDeletionTimestamp(), previous.getMetadata().getDeletionTimestamp())
                || !NodeConcerns.selecting(updated, claims).equals(NodeConcerns.selecting(previous, claims));
    }

    private static Map<String, String> own(Map<String, String> entries) {
        return entries == null ? Map.of() : entries.entrySet().stream().filter(entry -> entry.getKey().startsWith(OWN_PREFIX))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static List<Taint> ownTaints(Node node) {
        return node.getSpec() == null || node.getSpec().getTaints() == null ? List.of()
                : node.getSpec().getTaints().stream().filter(taint -> String.valueOf(taint.getKey()).startsWith(OWN_PREFIX)).toList();
    }

    private NodeChanges() {
    }
}
