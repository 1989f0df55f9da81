package dev.stockade.operator.pool;

import io.fabric8.kubernetes.api.model.Node;

import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which policies a node event wakes. A node concerns a policy when the policy holds it (the pool
 * label names it) or selects it (its nodeSelector matches the node's labels): only those pools can
 * change. The informer hands over only the node's new version, so the policies it concerned last
 * time are remembered and woken too: the one that held a node it no longer holds, the one whose
 * selector it left. Before, every node change woke every policy: with 20 policies, each
 * installer report cost 20 reconciles (test/cluster/bench/scale).
 *
 * <p>Thread-safe: the informers' threads call {@link #wake}, the reconciler {@link #forgetAllBut}.
 */
public final class NodeConcerns {

    private final Map<String, Set<String>> lastWoken = new ConcurrentHashMap<>();

    /** The policies (by name) the node's change concerns, from {@code claims} (every policy in the cache). */
    public Set<String> wake(Node node, Collection<PoolAssignment.Claim> claims) {
        Set<String> now = concerned(node, claims);
        Set<String> woken = new HashSet<>(now);
        Set<String> before = lastWoken.put(node.getMetadata().getName(), Set.copyOf(now));
        if (before != null) {
            woken.addAll(before);
        }
        return woken;
    }

    /** The pure rule: the policy that holds the node, and every policy whose selector matches it. */
    static Set<String> concerned(Node node, Collection<PoolAssignment.Claim> claims) {
        Set<String> policies = selecting(node, claims);
        PoolAssignment.poolLabel(node).ifPresent(policies::add);
        return policies;
    }

    /** The policies whose nodeSelector matches the node's labels. */
    static Set<String> selecting(Node node, Collection<PoolAssignment.Claim> claims) {
        Set<String> policies = new HashSet<>();
        Map<String, String> labels = node.getMetadata().getLabels();
        for (PoolAssignment.Claim claim : claims) {
            if (claim.nodeSelector() != null && LabelSelectors.matches(claim.nodeSelector(), labels)) {
                policies.add(claim.policy());
            }
        }
        return policies;
    }

    /** Drops what is remembered of nodes that are gone, so deleted nodes do not pile up. */
    public void forgetAllBut(Set<String> nodeNames) {
        lastWoken.keySet().retainAll(nodeNames);
    }
}
