package dev.stockade.operator.status;

import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.NodeStatus.NodePhase;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyMetricsTest {

    @Test
    void aDeletedPolicyLeavesNoSeriesBehindAndOthersKeepTheirs() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PolicyMetrics metrics = new PolicyMetrics(registry);
        for (String policy : List.of("gone", "kept")) {
            metrics.recordReconcile(policy, "ok");
            metrics.recordPool(policy, List.of(new NodeStatus("n1", NodePhase.Ready, "ok", "1")));
        }

        metrics.forget("gone");

        assertTrue(registry.find("stockade.pool.nodes").tag("policy", "gone").meters().isEmpty(), "pool gauges");
        assertTrue(registry.find("stockade.reconciles").tag("policy", "gone").meters().isEmpty(), "reconcile counters");
        assertEquals(1.0, registry.get("stockade.pool.nodes").tags("policy", "kept", "phase", "Ready").gauge().value());
        assertEquals(1.0, registry.get("stockade.reconciles").tags("policy", "kept", "result", "ok").counter().count());

        metrics.recordPool("gone", List.of());
        assertEquals(0.0, registry.get("stockade.pool.nodes").tags("policy", "gone", "phase", "Ready").gauge().value(),
                "a re-created policy starts afresh");
    }

    @Test
    void conditionsAreOneWhileTrueSoAlertsCanSayForHowLong() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PolicyMetrics metrics = new PolicyMetrics(registry);
        metrics.recordConditions("untrusted", List.of(condition("Ready", "False"), condition("Degraded", "True")));
        assertEquals(1.0, registry.get("stockade.policy.condition").tags("policy", "untrusted", "condition", "Degraded").gauge().value());
        assertEquals(0.0, registry.get("stockade.policy.condition").tags("policy", "untrusted", "condition", "Ready").gauge().value());
        metrics.recordConditions("untrusted", List.of(condition("Ready", "True"), condition("Degraded", "False")));
        assertEquals(0.0, registry.get("stockade.policy.condition").tags("policy", "untrusted", "condition", "Degraded").gauge().value());
        assertEquals(1.0, registry.get("stockade.policy.condition").tags("policy", "untrusted", "condition", "Ready").gauge().value());
        metrics.forget("untrusted");
        assertTrue(registry.find("stockade.policy.condition").meters().isEmpty());
    }

    private static Condition condition(String type, String status) {
        return new ConditionBuilder().withType(type).withStatus(status).build();
    }
}
