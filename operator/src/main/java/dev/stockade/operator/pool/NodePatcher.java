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
 * fresh read when another writer got there first. Whatever decides the patch is run again on the
 * node read back, so no decision outlives the copy it was made on.
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
     * A decision about one node and the JSON patch that carries it out.
     *
     * @param patch empty when the node needs no write
     */
    public record Decision<D>(D decision, Optional<List<Map<String, Object>>> patch) {
    }

    /**
     * @param decision the decision made on the last copy of the node read
     * @param node     the node as written, or as read when nothing needed writing; empty when the node is gone
     */
    public record Outcome<D>(D decision, Optional<Node> node) {
    }

    /**
     * Decides on {@code cached} (the informer's copy) and applies the patch; on a conflict, reads
     * the node again and decides again on that copy.
     */
    public <D> Outcome<D> decideAndApply(Node cached, Function<Node, Decision<D>> decide) {
        String name = cached.getMetadata().getName();
        Node current = cached;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Decision<D> decided = decide.apply(current);
            if (decided.patch().isEmpty()) {
                return new Outcome<>(decided.decision(), Optional.of(current));
            }
            try {
                nodeWrites.increment();
                // resource(current), not withName(name): fabric8 reads the node first for the latter.
                Node written = client.nodes().resource(current).patch(PatchContext.of(PatchType.JSON), NodePatch.toJson(decided.patch().get()));
                LOG.debugf("patched node %s: %s", name, decided.patch().get());
                return new Outcome<>(decided.decision(), Optional.of(written));
            } catch (KubernetesClientException e) {
                if (!isStale(e) || attempt == ATTEMPTS) {
                    throw e;
                }
                current = client.nodes().withName(name).get();
                if (current == null) {
                    return new Outcome<>(decided.decision(), Optional.empty());
                }
            }
        }
        throw new IllegalStateException("unreachable");
    }

    /** {@link #decideAndApply} for a patch that is the whole decision. */
    public Optional<Node> apply(Node cached, Function<Node, Optional<List<Map<String, Object>>>> change) {
        return decideAndApply(cached, node -> new Decision<>(null, change.apply(node))).node();
    }

    /**
     * 409: the resourceVersion guard saw another write. 422: the patch no longer applies (a key it
     * removes is already gone), which the API server finds before it checks the guard.
     */
    private static boolean isStale(KubernetesClientException e) {
        return e.getCode() == 409 || e.getCode() == 422;
    }
}
