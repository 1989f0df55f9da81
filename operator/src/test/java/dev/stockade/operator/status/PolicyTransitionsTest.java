package dev.stockade.operator.status;

import dev.stockade.operator.policy.NodeConflict;
import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.NodeStatus.NodePhase;
import dev.stockade.operator.policy.SandboxPolicyStatus;
import dev.stockade.operator.status.PolicyTransitions.Notice;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PolicyTransitionsTest {

    private static final Instant NOW = Instant.parse("2026-11-30T01:00:00Z");

    @Test
    void thePoolBecomingReadyIsToldOnceAndTheSameStatusTellsNothing() {
        SandboxPolicyStatus installing = status(null).members(List.of(node("n1", NodePhase.Installing))).build();
        SandboxPolicyStatus ready = status(installing).members(List.of(node("n1", NodePhase.Ready))).build();

        assertEquals(List.of(), PolicyTransitions.between(null, installing));
        assertEquals(List.of(new Notice(false, "PoolReady", "1 node runs the verified sandbox runtime")),
                PolicyTransitions.between(installing, ready));
        assertEquals(List.of(), PolicyTransitions.between(ready, status(ready).members(List.of(node("n1", NodePhase.Ready))).build()));
    }

    @Test
    void aPoolThatGrowsWhileReadyIsNotAnnouncedAgain() {
        SandboxPolicyStatus one = status(null).members(List.of(node("n1", NodePhase.Ready))).build();
        SandboxPolicyStatus two = status(one).members(List.of(node("n1", NodePhase.Ready), node("n2", NodePhase.Ready))).build();

        assertEquals(List.of(), PolicyTransitions.between(one, two));
    }

    @Test
    void degradedIsToldWithItsReasonWhenItAppearsOrItsMessageChanges() {
        SandboxPolicyStatus invalid = status(null).specProblems(List.of("spec.runtimeClasses: at least one")).build();
        SandboxPolicyStatus otherwiseInvalid = status(invalid).specProblems(List.of("spec.maxNodes: must be positive")).build();

        assertEquals(List.of(new Notice(true, "InvalidSpec", "spec.runtimeClasses: at least one")),
                PolicyTransitions.between(null, invalid));
        assertEquals(List.of(), PolicyTransitions.between(invalid, status(invalid).specProblems(List.of("spec.runtimeClasses: at least one")).build()));
        assertEquals(List.of(new Notice(true, "InvalidSpec", "spec.maxNodes: must be positive")),
                PolicyTransitions.between(invalid, otherwiseInvalid));
    }

    @Test
    void anApiFailureAndARuntimeClassConflictAreWarnings() {
        SandboxPolicyStatus healthy = status(null).members(List.of(node("n1", NodePhase.Ready))).build();
        SandboxPolicyStatus failed = status(healthy).apiFailure("create DaemonSet stockade-system/x: 403 Forbidden");
        SandboxPolicyStatus conflict = status(healthy).members(List.of(node("n1", NodePhase.Ready)))
                .operationalProblems(List.of("RuntimeClass isolated already exists")).build();

        assertEquals(List.of(new Notice(true, "ApiError", "create DaemonSet stockade-system/x: 403 Forbidden")),
                PolicyTransitions.between(healthy, failed));
        assertEquals(List.of(new Notice(true, "RuntimeClassConflict", "RuntimeClass isolated already exists")),
                PolicyTransitions.between(healthy, conflict));
    }

    @Test
    void eachNewlyFailedNodeAndEachNewConflictIsToldOnceButNotAsDegraded() {
        SandboxPolicyStatus before = status(null).members(List.of(node("n1", NodePhase.Failed), node("n2", NodePhase.Installing))).build();
        SandboxPolicyStatus after = status(before).members(List.of(node("n1", NodePhase.Failed), node("n2", NodePhase.Failed)))
                .conflicts(List.of(new NodeConflict("n3", "other"))).build();

        assertEquals(List.of(
                new Notice(true, "NodeConflict", "node n3 matches spec.nodeSelector but belongs to the pool of policy other, which keeps it"),
                new Notice(true, "NodeFailed", "installer on node n2 failed: n2 broke")), PolicyTransitions.between(before, after));
    }

    private static PolicyStatusBuilder status(SandboxPolicyStatus previous) {
        return new PolicyStatusBuilder(1, previous, NOW);
    }

    private static NodeStatus node(String name, NodePhase phase) {
        return new NodeStatus(name, phase, phase == NodePhase.Failed ? name + " broke" : null, "0.1.0");
    }
}
