package dev.stockade.operator.pool;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlimNodeStoreTest {

    @Test
    void theCacheKeepsWhatNodePatchesAreComputedFromAndDropsTheRest() {
        Node node = new NodeBuilder()
                .withNewMetadata().withName("n1").withUid("u1").withResourceVersion("42")
                    .withLabels(Map.of("team", "blue")).withAnnotations(Map.of("example.com/owner", "x"))
                    .withManagedFields(new ManagedFieldsEntryBuilder().withManager("kubelet").build())
                .endMetadata()
                .withNewSpec().withPodCIDR("10.0.0.0/24").addNewTaint().withKey("k").withEffect("NoSchedule").endTaint().endSpec()
                .withNewStatus().addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus()
                .build();
        SlimNodeStore store = new SlimNodeStore();

        store.put(store.getKey(node), node);
        Node cached = store.get("n1");

        assertEquals("42", cached.getMetadata().getResourceVersion());
        assertEquals(Map.of("team", "blue"), cached.getMetadata().getLabels());
        assertEquals(Map.of("example.com/owner", "x"), cached.getMetadata().getAnnotations());
        assertEquals(node.getSpec().getTaints(), cached.getSpec().getTaints());
        assertNull(cached.getStatus());
        assertNull(cached.getSpec().getPodCIDR());
        assertTrue(cached.getMetadata().getManagedFields() == null || cached.getMetadata().getManagedFields().isEmpty());
        assertEquals(List.of("n1"), store.keySet().toList());
    }
}
