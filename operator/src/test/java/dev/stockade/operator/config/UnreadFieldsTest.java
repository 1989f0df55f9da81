package dev.stockade.operator.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stockade.operator.Fixtures;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnreadFieldsTest {

    private final ObjectMapper mapper = customized();

    @Test
    void aNodeIsReadWithoutItsStatusAndManagedFieldsAndWithEverythingThePoolNeeds() throws Exception {
        Node node = mapper.readValue(Fixtures.KWOK_NODE_JSON, Node.class);

        assertNull(node.getStatus());
        assertTrue(node.getMetadata().getManagedFields() == null || node.getMetadata().getManagedFields().isEmpty());
        assertFalse(node.getAdditionalProperties().containsKey("status"));
        assertFalse(node.getMetadata().getAdditionalProperties().containsKey("managedFields"));
        assertEquals("4711", node.getMetadata().getResourceVersion());
        assertEquals(Map.of("bench.stockade.dev/pool", "yes", "stockade.dev/pool", "sandbox"), node.getMetadata().getLabels());
        assertEquals("fake", node.getMetadata().getAnnotations().get("kwok.x-k8s.io/node"));
        assertEquals(List.of("stockade.dev/sandbox=sandbox:NoSchedule"), node.getSpec().getTaints().stream()
                .map(t -> t.getKey() + "=" + t.getValue() + ":" + t.getEffect()).toList());
    }

    @Test
    void otherKindsKeepTheirStatus() throws Exception {
        Pod pod = mapper.readValue("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"status\":{\"phase\":\"Running\"}}",
                Pod.class);

        assertEquals("Running", pod.getStatus().getPhase());
    }

    private static ObjectMapper customized() {
        ObjectMapper mapper = new ObjectMapper();
        new UnreadFields().customize(mapper);
        return mapper;
    }
}
