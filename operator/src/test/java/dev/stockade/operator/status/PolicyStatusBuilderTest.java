package dev.stockade.operator.status;

import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.NodeStatus.NodePhase;
import dev.stockade.operator.policy.SandboxPolicyStatus;
import io.fabric8.kubernetes.api.model.Condition;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyStatusBuilderTest {

    private static final Instant T1 = Instant.parse("2026-11-29T01:00:00Z");
    private static final Instant T2 = Instant.parse("2026-11-29T02:00:00Z");

    @Test
    void allNodesReadyMakesThePolicyReadyAndStable() {
        SandboxPolicyStatus status = new PolicyStatusBuilder(3, null, T1)
                .members(List.of(ready("n1"), ready("n2")))
                .runtimeClassNames(List.of("isolated", "strict"))
                .build();

        assertEquals("True", condition(status, "Ready").getStatus());
        assertEquals("False", condition(status, "Progressing").getStatus());
        assertEquals("False", condition(status, "Degraded").getStatus());
        assertEquals("2/2", status.getNodes());
        assertEquals("isolated,strict", status.getRuntimeClasses());
        assertEquals(3L, status.getObservedGeneration());
        assertEquals(3L, condition(status, "Ready").getObservedGeneration());
    }

    @Test
    void anApiFailureSetsDegradedAndKeepsWhatWasLastObservedUntilTheNextSuccess() {
        SandboxPolicyStatus healthy = new PolicyStatusBuilder(2, null, T1).members(List.of(ready("n1"))).build();

        SandboxPolicyStatus failed = new PolicyStatusBuilder(2, healthy, T2).apiFailure("PUT apps/v1 namespaces/s/daemonsets/d: 403 Forbidden: no");

        assertEquals("True", condition(failed, "Degraded").getStatus());
        assertEquals("ApiError", condition(failed, "Degraded").getReason());
        assertEquals("PUT apps/v1 namespaces/s/daemonsets/d: 403 Forbidden: no", condition(failed, "Degraded").getMessage());
        assertEquals(T2.toString(), condition(failed, "Degraded").getLastTransitionTime());
        assertEquals(condition(healthy, "Ready"), condition(failed, "Ready"));
        assertEquals("1/1", failed.getNodes());
        assertEquals(1, failed.getConditions().stream().filter(c -> c.getType().equals("Degraded")).count());

        SandboxPolicyStatus recovered = new PolicyStatusBuilder(2, failed, T2).members(List.of(ready("n1"))).build();
        assertEquals("False", condition(recovered, "Degraded").getStatus());
    }

    @Test
    void lastTransitionTimeMovesOnlyWhenTheConditionsStatusChanges() {
        SandboxPolicyStatus installing = new PolicyStatusBuilder(1, null, T1)
                .members(List.of(new NodeStatus("n1", NodePhase.Installing, "copying payload", null))).build();
        SandboxPolicyStatus stillInstalling = new PolicyStatusBuilder(1, installing, T2)
                .members(List.of(new NodeStatus("n1", NodePhase.Installing, "restarting containerd", null))).build();
        SandboxPolicyStatus ready = new PolicyStatusBuilder(1, stillInstalling, T2).members(List.of(ready("n1"))).build();

        assertEquals(T1.toString(), condition(stillInstalling, "Ready").getLastTransitionTime());
        assertNotEquals(condition(installing, "Progressing").getMessage(), condition(stillInstalling, "Progressing").getMessage());
        assertEquals(T2.toString(), condition(ready, "Ready").getLastTransitionTime());
        assertEquals(T1.toString(), condition(ready, "Degraded").getLastTransitionTime(), "Degraded stayed False");
    }

    @Test
    void theSameInputGivesAnEqualStatusSoNothingIsWritten() {
        SandboxPolicyStatus first = new PolicyStatusBuilder(1, null, T1).members(List.of(ready("n1"))).build();
        SandboxPolicyStatus again = new PolicyStatusBuilder(1, first, T2).members(List.of(ready("n1"))).build();

        assertEquals(first, again);
    }

    @Test
    void invalidSpecAndFailedNodesAreDegradedWithTheReason() {
        SandboxPolicyStatus invalid = new PolicyStatusBuilder(2, null, T1)
                .specProblems(List.of("spec.runtimeClasses[0].name \"X\" must be a DNS label")).build();
        assertEquals("InvalidSpec", condition(invalid, "Degraded").getReason());
        assertTrue(condition(invalid, "Degraded").getMessage().contains("spec.runtimeClasses[0].name"));
        assertEquals("False", condition(invalid, "Ready").getStatus());

        SandboxPolicyStatus failed = new PolicyStatusBuilder(2, null, T1)
                .members(List.of(ready("n1"), new NodeStatus("n2", NodePhase.Failed, "config.toml does not parse", null))).build();
        assertEquals("NodesFailed", condition(failed, "Degraded").getReason());
        assertTrue(condition(failed, "Degraded").getMessage().contains("n2 Failed (config.toml does not parse)"));
        assertEquals("1/2", failed.getNodes());
    }

    @Test
    void leavingNodesAreShownAndMakeThePolicyProgress() {
        SandboxPolicyStatus status = new PolicyStatusBuilder(1, null, T1)
                .members(List.of(ready("n1")))
                .leaving(List.of(new NodeStatus("n0", NodePhase.Removing, "waiting for the installer to uninstall", null)))
                .build();

        assertEquals(List.of("n0", "n1"), status.getNodeStatuses().stream().map(NodeStatus::name).toList());
        assertEquals("Removing", condition(status, "Progressing").getReason());
        assertEquals(1, status.getDesiredNodes());
    }

    private static NodeStatus ready(String name) {
        return new NodeStatus(name, NodePhase.Ready, "verified", "0.1.0");
    }

    private static Condition condition(SandboxPolicyStatus status, String type) {
        return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
    }
}
