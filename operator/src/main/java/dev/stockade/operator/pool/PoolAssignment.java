package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import dev.stockade.operator.policy.NodeConflict;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Node;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Decides which node belongs to which policy's pool, for all policies at once, so that every
 * policy's reconcile computes the same answer from the same caches. Rules:
 * <ul>
 *   <li>a node belongs to at most one pool;</li>
 *   <li>older policies choose first (creation time, then name), so the older policy keeps a node
 *       two policies select;</li>
 *   <li>within a cap, nodes already in the pool keep their place, then nodes go in name order, so
 *       pools do not churn;</li>
 *   <li>a node still labelled for a policy that is being deleted stays out of every other pool
 *       until that policy has released it.</li>
 * </ul>
 */
public final class PoolAssignment {

    /** What the assignment needs to know about a policy. */
    public record Claim(String policy, Instant createdAt, LabelSelector nodeSelector, Integer maxNodes,
                        boolean deleting) {
    }

    /** One policy's share: the nodes it should hold, and the ones it selects but may not take. */
    public record Pool(SortedSet<String> members, List<NodeConflict> conflicts) {

        /** No member: every node the policy holds leaves (the policy is being deleted). */
        public static Pool empty() {
            return new Pool(new TreeSet<>(), List.of());
        }
    }

    private final Map<String, Pool> pools;

    private PoolAssignment(Map<String, Pool> pools) {
        this.pools = pools;
    }

    public Pool poolOf(String policy) {
        return pools.getOrDefault(policy, Pool.empty());
    }

    public static PoolAssignment assign(List<Claim> claims, List<Node> nodes) {
        Map<String, String> heldBy = new HashMap<>();
        for (Node node : nodes) {
            poolLabel(node).ifPresent(policy -> heldBy.put(node.getMetadata().getName(), policy));
        }
        Set<String> deletingPolicies = new LinkedHashSet<>();
        claims.stream().filter(Claim::deleting).forEach(claim -> deletingPolicies.add(claim.policy()));

        List<Claim> byAge = claims.stream()
                .filter(claim -> !claim.deleting())
                .sorted(Comparator.comparing(Claim::createdAt, Comparator.nullsLast(Comparator.naturalOrder()))
                        .thenComparing(Claim::policy))
                .toList();

        Map<String, String> assignedTo = new HashMap<>();
        Map<String, Pool> pools = new HashMap<>();
        for (Claim claim : byAge) {
            List<NodeConflict> conflicts = new ArrayList<>();
            List<String> candidates = new ArrayList<>();
            for (Node node : nodes) {
                String name = node.getMetadata().getName();
                if (!LabelSelectors.matches(claim.nodeSelector(), node.getMetadata().getLabels())) {
                    continue;
                }
                String olderOwner = assignedTo.get(name);
                String holder = heldBy.get(name);
                if (olderOwner != null) {
                    conflicts.add(new NodeConflict(name, olderOwner));
                } else if (holder != null && deletingPolicies.contains(holder)) {
                    conflicts.add(new NodeConflict(name, holder));
                } else {
                    candidates.add(name);
                }
            }
            candidates.sort(Comparator.comparing((String name) -> !claim.policy().equals(heldBy.get(name)))
                    .thenComparing(Comparator.naturalOrder()));
            int cap = claim.maxNodes() == null ? candidates.size() : Math.min(claim.maxNodes(), candidates.size());
            SortedSet<String> members = new TreeSet<>(candidates.subList(0, cap));
            members.forEach(name -> assignedTo.put(name, claim.policy()));
            conflicts.sort(Comparator.comparing(NodeConflict::node));
            pools.put(claim.policy(), new Pool(members, List.copyOf(conflicts)));
        }
        return new PoolAssignment(pools);
    }

    public static Optional<String> poolLabel(Node node) {
        Map<String, String> labels = node.getMetadata().getLabels();
        return Optional.ofNullable(labels == null ? null : labels.get(Stockade.POOL_LABEL));
    }

    /** The policy named by the node's pool label, when that is not {@code policy}. */
    public static Optional<String> otherHolder(Node node, String policy) {
        return poolLabel(node).filter(holder -> !holder.equals(policy));
    }
}
