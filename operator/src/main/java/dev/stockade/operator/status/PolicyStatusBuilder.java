package dev.stockade.operator.status;

import dev.stockade.operator.policy.NodeConflict;
import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.NodeStatus.NodePhase;
import dev.stockade.operator.policy.SandboxPolicyStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Builds a policy's status from what one reconcile found. Pure: the reconciler writes the result
 * only when it differs from the status on the server, and a condition's lastTransitionTime moves
 * only when its status changes.
 */
public final class PolicyStatusBuilder {

    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";
    /** Whether admission keeps the pool to sandboxed pods ({@link AdmissionFence}). */
    public static final String ADMISSION_FENCE = "AdmissionFence";

    private final long generation;
    private final SandboxPolicyStatus previous;
    private final Instant now;
    private List<String> specProblems = List.of();
    private List<String> operationalProblems = List.of();
    private List<NodeStatus> members = List.of();
    private List<NodeStatus> leaving = List.of();
    private List<NodeConflict> conflicts = List.of();
    private List<String> runtimeClassNames = List.of();
    private AdmissionFence admissionFence;

    public PolicyStatusBuilder(long generation, SandboxPolicyStatus previous, Instant now) {
        this.generation = generation;
        this.previous = previous;
        this.now = now;
    }

    /** The spec cannot be applied; nothing else was changed. */
    public PolicyStatusBuilder specProblems(List<String> problems) {
        this.specProblems = List.copyOf(problems);
        return this;
    }

    /** Problems outside the spec that block part of the work (e.g. a RuntimeClass owned by someone else). */
    public PolicyStatusBuilder operationalProblems(List<String> problems) {
        this.operationalProblems = List.copyOf(problems);
        return this;
    }

    public PolicyStatusBuilder members(List<NodeStatus> members) {
        this.members = List.copyOf(members);
        return this;
    }

    public PolicyStatusBuilder leaving(List<NodeStatus> leaving) {
        this.leaving = List.copyOf(leaving);
        return this;
    }

    public PolicyStatusBuilder conflicts(List<NodeConflict> conflicts) {
        this.conflicts = List.copyOf(conflicts);
        return this;
    }

    public PolicyStatusBuilder admissionFence(AdmissionFence fence) {
        this.admissionFence = fence;
        return this;
    }

    public PolicyStatusBuilder runtimeClassNames(List<String> names) {
        this.runtimeClassNames = List.copyOf(names);
        return this;
    }

    public SandboxPolicyStatus build() {
        SandboxPolicyStatus status = new SandboxPolicyStatus();
        status.setObservedGeneration(generation);
        int ready = (int) members.stream().filter(n -> n.phase() == NodePhase.Ready).count();
        status.setDesiredNodes(members.size());
        status.setReadyNodes(ready);
        status.setNodes(ready + "/" + members.size());
        status.setRuntimeClasses(String.join(",", runtimeClassNames));
        List<NodeStatus> nodes = new ArrayList<>(members);
        nodes.addAll(leaving);
        nodes.sort(Comparator.comparing(NodeStatus::name));
        status.setNodeStatuses(nodes);
        status.setConflicts(conflicts);
        List<Condition> conditions = new ArrayList<>(List.of(ready(ready), progressing(), degraded()));
        if (admissionFence != null) {
            conditions.add(condition(ADMISSION_FENCE, admissionFence.active(), admissionFence.reason(), admissionFence.message()));
        }
        status.setConditions(conditions);
        return status;
    }

    /**
     * The status after a reconcile failed on an API call ({@link ApiFailures#describe}): what was
     * last observed, with Degraded set to reason {@code ApiError} and the failure. The next
     * successful reconcile builds the whole status again, which clears it.
     */
    public SandboxPolicyStatus apiFailure(String failure) {
        SandboxPolicyStatus status = previous == null ? build() : copyOf(previous);
        List<Condition> conditions = new ArrayList<>(status.getConditions() == null ? List.of() : status.getConditions());
        conditions.removeIf(c -> DEGRADED.equals(c.getType()));
        conditions.add(condition(DEGRADED, true, "ApiError", failure));
        status.setConditions(conditions);
        return status;
    }

    /** "1 node runs …" / "3 nodes run …": the Ready message and the PoolReady Event. */
    public static String readySummary(int readyNodes) {
        return readyNodes + (readyNodes == 1 ? " node runs" : " nodes run") + " the verified sandbox runtime";
    }

    private static SandboxPolicyStatus copyOf(SandboxPolicyStatus from) {
        SandboxPolicyStatus status = new SandboxPolicyStatus();
        status.setObservedGeneration(from.getObservedGeneration());
        status.setConditions(from.getConditions());
        status.setDesiredNodes(from.getDesiredNodes());
        status.setReadyNodes(from.getReadyNodes());
        status.setNodes(from.getNodes());
        status.setRuntimeClasses(from.getRuntimeClasses());
        status.setNodeStatuses(from.getNodeStatuses());
        status.setConflicts(from.getConflicts());
        return status;
    }

    private Condition ready(int readyCount) {
        if (!specProblems.isEmpty()) {
            return condition(READY, false, "InvalidSpec", "the spec is invalid; see the Degraded condition");
        }
        if (members.isEmpty()) {
            String why = conflicts.isEmpty() ? "no node matches spec.nodeSelector"
                    : "every selected node is held by another policy's pool";
            return condition(READY, false, "NoNodes", why);
        }
        if (!operationalProblems.isEmpty()) {
            return condition(READY, false, "RuntimeClassesNotPublished", String.join("; ", operationalProblems));
        }
        if (readyCount < members.size()) {
            return condition(READY, false, "NodesNotReady", readyCount + " of " + members.size() + " nodes ready: "
                    + summary(members.stream().filter(n -> n.phase() != NodePhase.Ready).toList()));
        }
        return condition(READY, true, "AllNodesReady", readySummary(readyCount));
    }

    private Condition progressing() {
        List<NodeStatus> moving = new ArrayList<>(members.stream()
                .filter(n -> n.phase() == NodePhase.Pending || n.phase() == NodePhase.Installing)
                .toList());
        moving.addAll(leaving);
        if (!specProblems.isEmpty() || moving.isEmpty()) {
            return condition(PROGRESSING, false, "Stable", "no node is being installed or removed");
        }
        String reason = leaving.isEmpty() ? "Installing" : moving.size() == leaving.size() ? "Removing" : "InstallingAndRemoving";
        return condition(PROGRESSING, true, reason, summary(moving));
    }

    private Condition degraded() {
        if (!specProblems.isEmpty()) {
            return condition(DEGRADED, true, "InvalidSpec", String.join("; ", specProblems));
        }
        if (!operationalProblems.isEmpty()) {
            return condition(DEGRADED, true, "RuntimeClassConflict", String.join("; ", operationalProblems));
        }
        List<NodeStatus> failed = members.stream().filter(n -> n.phase() == NodePhase.Failed).toList();
        if (!failed.isEmpty()) {
            return condition(DEGRADED, true, "NodesFailed", summary(failed));
        }
        return condition(DEGRADED, false, "AsExpected", "no failures");
    }

    private static String summary(List<NodeStatus> nodes) {
        return nodes.stream().limit(5)
                .map(n -> n.name() + " " + n.phase() + (n.message() == null ? "" : " (" + n.message() + ")"))
                .collect(Collectors.joining(", "))
                + (nodes.size() > 5 ? " and " + (nodes.size() - 5) + " more" : "");
    }

    private Condition condition(String type, boolean value, String reason, String message) {
        String status = value ? "True" : "False";
        String transition = now.truncatedTo(ChronoUnit.SECONDS).toString();
        if (previous != null && previous.getConditions() != null) {
            for (Condition old : previous.getConditions()) {
                if (type.equals(old.getType()) && status.equals(old.getStatus()) && old.getLastTransitionTime() != null) {
                    transition = old.getLastTransitionTime();
                }
            }
        }
        return new ConditionBuilder()
                .withType(type)
                .withStatus(status)
                .withReason(reason)
                .withMessage(message)
                .withObservedGeneration(generation)
                .withLastTransitionTime(transition)
                .build();
    }
}
