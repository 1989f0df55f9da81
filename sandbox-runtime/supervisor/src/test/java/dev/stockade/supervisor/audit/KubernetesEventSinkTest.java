package dev.stockade.supervisor.audit;

import dev.stockade.supervisor.listener.SandboxContainer;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Event's content (pure), and that it is created in the pod's namespace (fabric8 mock server, CRUD mode). */
@EnableKubernetesMockClient(crud = true)
class KubernetesEventSinkTest {

    KubernetesClient client;

    static final SandboxContainer MINER = ViolationRecorderTest.MINER;

    @Test
    void theEventNamesThePodTheContainerAndTheCall() {
        Event event = KubernetesEventSink.event(new Violation(MINER, 42, "mount"), 4, "node-3", Instant.parse("2026-01-01T00:00:00Z"));
        assertEquals("Warning", event.getType());
        assertEquals("SandboxViolation", event.getReason());
        assertEquals("container app called mount(2), denied (4 more times since the last report); policy tenants", event.getMessage());
        assertEquals("Pod", event.getInvolvedObject().getKind());
        assertEquals("team-a", event.getInvolvedObject().getNamespace());
        assertEquals("miner-7", event.getInvolvedObject().getName());
        assertEquals("spec.containers{app}", event.getInvolvedObject().getFieldPath());
        assertEquals("node-3", event.getSource().getHost());
        assertEquals(5, event.getCount());
    }

    @Test
    void aReportBecomesAnEventOnThePod() throws Exception {
        try (KubernetesEventSink sink = new KubernetesEventSink(client, "node-3", 50)) {
            sink.report(new Violation(MINER, 42, "keyctl"), 0);
            List<Event> events = List.of();
            for (int attempt = 0; attempt < 100 && events.isEmpty(); attempt++) {
                Thread.sleep(50);
                events = client.v1().events().inNamespace("team-a").list().getItems();
            }
            assertEquals(1, events.size());
            assertTrue(events.getFirst().getMessage().startsWith("container app called keyctl(2), denied"));
            assertEquals(0, sink.dropped());
        }
    }

    @Test
    void onlyInAClusterWithTheNodeName() {
        assertTrue(KubernetesEventSink.inCluster(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1", "NODE_NAME", "n")));
        assertFalse(KubernetesEventSink.inCluster(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1")));
        assertFalse(KubernetesEventSink.inCluster(Map.of()));
    }
}
