package dev.stockade.operator.status;

import dev.stockade.operator.policy.NodeStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Prometheus metrics per policy: {@code stockade_reconciles_total{policy,result}},
 * {@code stockade_pool_nodes{policy,phase}} and {@code stockade_policy_condition{policy,condition}}
 * (1 while the condition is True), which the shipped alerts read.
 */
@ApplicationScoped
public class PolicyMetrics {

    private static final String RECONCILES = "stockade.reconciles";
    private static final String POOL_NODES = "stockade.pool.nodes";
    private static final String CONDITION = "stockade.policy.condition";
    private static final List<String> CONDITIONS = List.of(PolicyStatusBuilder.READY, PolicyStatusBuilder.PROGRESSING,
            PolicyStatusBuilder.DEGRADED);

    private final MeterRegistry registry;
    private final Map<String, Map<NodeStatus.NodePhase, AtomicInteger>> nodesByPhase = new ConcurrentHashMap<>();
    private final Map<String, Map<String, AtomicInteger>> conditionsByType = new ConcurrentHashMap<>();

    public PolicyMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void recordReconcile(String policy, String result) {
        registry.counter(RECONCILES, Tags.of("policy", policy, "result", result)).increment();
    }

    public void recordPool(String policy, List<NodeStatus> nodes) {
        Map<NodeStatus.NodePhase, AtomicInteger> gauges = nodesByPhase.computeIfAbsent(policy, this::registerGauges);
        gauges.values().forEach(count -> count.set(0));
        nodes.forEach(node -> gauges.get(node.phase()).incrementAndGet());
    }

    /** Ready, Progressing and Degraded as the status just written says them. */
    public void recordConditions(String policy, List<Condition> conditions) {
        Map<String, AtomicInteger> gauges = conditionsByType.computeIfAbsent(policy, name -> {
            Map<String, AtomicInteger> registered = new java.util.LinkedHashMap<>();
            for (String type : CONDITIONS) {
                registered.put(type, registry.gauge(CONDITION, Tags.of("policy", name, "condition", type), new AtomicInteger()));
            }
            return registered;
        });
        gauges.forEach((type, gauge) -> gauge.set(conditions.stream()
                .anyMatch(condition -> type.equals(condition.getType()) && "True".equals(condition.getStatus())) ? 1 : 0));
    }

    /**
     * Removes every series of a deleted policy, so that /q/metrics does not keep zero-valued
     * series for policies that no longer exist (and a re-created policy starts afresh).
     */
    public void forget(String policy) {
        nodesByPhase.remove(policy);
        conditionsByType.remove(policy);
        for (String name : new String[] {POOL_NODES, RECONCILES, CONDITION}) {
            registry.find(name).tag("policy", policy).meters().forEach(registry::remove);
        }
    }

    private Map<NodeStatus.NodePhase, AtomicInteger> registerGauges(String policy) {
        Map<NodeStatus.NodePhase, AtomicInteger> gauges = new EnumMap<>(NodeStatus.NodePhase.class);
        for (NodeStatus.NodePhase phase : NodeStatus.NodePhase.values()) {
            AtomicInteger count = new AtomicInteger();
            registry.gauge(POOL_NODES, Tags.of("policy", policy, "phase", phase.name()), count);
            gauges.put(phase, count);
        }
        return gauges;
    }
}
