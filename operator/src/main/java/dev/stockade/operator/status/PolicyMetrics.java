package dev.stockade.operator.status;

import dev.stockade.operator.policy.NodeStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Prometheus metrics per policy: reconciles by result and pool nodes by phase. */
@ApplicationScoped
public class PolicyMetrics {

    private static final String RECONCILES = "stockade.reconciles";
    private static final String POOL_NODES = "stockade.pool.nodes";

    private final MeterRegistry registry;
    private final Map<String, Map<NodeStatus.NodePhase, AtomicInteger>> nodesByPhase = new ConcurrentHashMap<>();

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

    /**
     * Removes every series of a deleted policy, so that /q/metrics does not keep zero-valued
     * series for policies that no longer exist (and a re-created policy starts afresh).
     */
    public void forget(String policy) {
        nodesByPhase.remove(policy);
        for (String name : new String[] {POOL_NODES, RECONCILES}) {
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
