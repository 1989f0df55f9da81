package dev.stockade.operator.pool;

import dev.stockade.api.node.NodePatch;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Applies {@link NodeFence} patches: read-modify-write guarded by the resourceVersion, retried on a
 * fresh read when another writer got there first.
 */
@ApplicationScoped
public class NodePatcher {

    private static final Logger LOG = Logger.getLogger(NodePatcher.class);
    private static final int ATTEMPTS = 5;

    private final KubernetesClient client;
    private final Counter nodeWrites;

    public NodePatcher(KubernetesClient client, MeterRegistry registry) {
        this.client = client;
        this.nodeWrites = Counter.builder("stockade.node.writes")
                .description("Patches the operator sent to node objects")
                .register(registry);
    }

    /**
     * Computes the change from {@code cached} (the informer's copy) and applies it; on a conflict,
     * reads the node again and recomputes. Returns the node as written, or as it was when nothing
     * needed to change; empty when the node is gone.
     */
    public Optional<Node> apply(Node cached, Function<Node, Optional<List<Map<String, Object>>>> change) {
        String name = cached.getMetadata().getName();
        Node current = cached;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Optional<List<Map<String, Object>>> ops = change.apply(current);
            if (ops.isEmpty()) {
                return Optional.of(current);
            }
            try {
                nodeWrites.increment();
                // resource(current), not withName(name): fabric8 reads the node first for the latter.
                Node written = client.nodes().resource(current).patch(PatchContext.of(PatchType.JSON), NodePatch.toJson(ops.get()));
                LOG.debugf("patched node %s: %s", name, ops.get());
                return Optional.of(written);
            } catch (KubernetesClientException e) {
                if (!isStale(e) || attempt == ATTEMPTS) {
                    throw e;
                }
                current = client.nodes().withName(name).get();
                if (current == null) {
                    return Optional.empty();
                }
            }
        }
        throw new IllegalStateException("unreachable");
    }

    /**
     * 409: the resourceVersion guard saw another write. 422: the patch no longer applies (a key it
     * removes is already gone), which the API server finds before it checks the guard.
     */
    private static boolean isStale(KubernetesClientException e) {
        return e.getCode() == 409 || e.getCode() == 422;
    }
}
