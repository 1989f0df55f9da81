package dev.stockade.operator.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.quarkus.kubernetes.client.KubernetesClientObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * The Kubernetes client's JSON mapping skips what the operator never reads and every node update
 * carries: a Node's status (conditions, addresses, capacity, node info and, from a real kubelet,
 * its image list) and every object's managed fields. The node watch delivers every heartbeat of
 * every node (over 100 a second at 5000 KWOK nodes), and building these parts of the model was
 * most of the operator's JSON work while idle. The operator sends nodes only JSON patches, and an
 * update that leaves managed fields out keeps the stored ones (Kubernetes docs, Server-Side Apply,
 * "Clearing managedFields"), so nothing it writes loses them. The node cache kept neither already
 * ({@link dev.stockade.operator.pool.SlimNodeStore}).
 */
@Singleton
public class UnreadFields implements KubernetesClientObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.addMixIn(Node.class, NodeWithoutStatus.class);
        mapper.addMixIn(ObjectMeta.class, MetadataWithoutManagedFields.class);
    }

    @JsonIgnoreProperties(value = "status", ignoreUnknown = true)
    private interface NodeWithoutStatus {
    }

    @JsonIgnoreProperties(value = "managedFields", ignoreUnknown = true)
    private interface MetadataWithoutManagedFields {
    }
}
