package dev.stockade.operator.status;

import dev.stockade.operator.policy.NodeConflict;
import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.NodeStatus.NodePhase;
import dev.stockade.operator.policy.SandboxPolicyStatus;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which status changes deserve a Kubernetes Event. Events mark transitions, never states: a
 * reconcile that finds the same status emits nothing, so a loop cannot flood the API. Pure.
 */
public final class PolicyTransitions {

    /** An Event to record: {@code warning} picks type Warning over Normal. */
    public record Notice(boolean warning, String reason, String message) {
    }

    /**
     * <ul>
     *   <li>Warning with the Degraded reason ({@code InvalidSpec}, {@code ApiError},
     *       {@code RuntimeClassConflict}) when Degraded becomes True or its message changes;
     *       {@code NodesFailed} is told per node instead;</li>
     *   <li>Warning {@code NodeConflict} for each node newly held by another policy;</li>
     *   <li>Warning {@code NodeFailed} for each node whose installer newly failed;</li>
     *   <li>Normal {@code PoolReady} when Ready becomes True.</li>
     * </ul>
     *
     * @param previous the status before (null for a new policy)
     */
    public static List<Notice> between(SandboxPolicyStatus previous, SandboxPolicyStatus next) {
        List<Notice> notices = new ArrayList<>();
        Optional<Condition> degraded = condition(next, PolicyStatusBuilder.DEGRADED)
                .filter(c -> "True".equals(c.getStatus()) && !"NodesFailed".equals(c.getReason()));
        if (degraded.isPresent() && !sameStatusAndMessage(condition(previous, PolicyStatusBuilder.DEGRADED), degraded)) {
            notices.add(new Notice(true, degraded.get().getReason(), degraded.get().getMessage()));
        }
        Set<NodeConflict> knownConflicts = previous == null || previous.getConflicts() == null
                ? Set.of() : new HashSet<>(previous.getConflicts());
        for (NodeConflict conflict : orEmpty(next.getConflicts())) {
            if (!knownConflicts.contains(conflict)) {
                notices.add(new Notice(true, "NodeConflict", "node " + conflict.node() + " matches spec.nodeSelector but "
                        + "belongs to the pool of policy " + conflict.heldBy() + ", which keeps it"));
            }
        }
        Map<String, NodePhase> phaseBefore = new HashMap<>();
        orEmpty(previous == null ? null : previous.getNodeStatuses()).forEach(n -> phaseBefore.put(n.name(), n.phase()));
        for (NodeStatus node : orEmpty(next.getNodeStatuses())) {
            if (node.phase() == NodePhase.Failed && phaseBefore.get(node.name()) != NodePhase.Failed) {
                notices.add(new Notice(true, "NodeFailed", "installer on node " + node.name() + " failed: " + node.message()));
            }
        }
        boolean wasReady = condition(previous, PolicyStatusBuilder.READY).map(c -> "True".equals(c.getStatus())).orElse(false);
        if (!wasReady && condition(next, PolicyStatusBuilder.READY).map(c -> "True".equals(c.getStatus())).orElse(false)) {
            notices.add(new Notice(false, "PoolReady", PolicyStatusBuilder.readySummary(next.getReadyNodes())));
        }
        return notices;
    }

    private static boolean sameStatusAndMessage(Optional<Condition> before, Optional<Condition> after) {
        return before.isPresent() && after.isPresent()
                && Objects.equals(before.get().getStatus(), after.get().getStatus())
                && Objects.equals(before.get().getMessage(), after.get().getMessage());
    }

    private static Optional<Condition> condition(SandboxPolicyStatus status, String type) {
        return status == null || status.getConditions() == null ? Optional.empty()
                : status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private PolicyTransitions() {
    }
}
