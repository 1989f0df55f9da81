package dev.stockade.e2e;

import dev.stockade.api.Stockade;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the cluster tests share: the repository, SandboxPolicy objects, and what "clean" means. */
final class Clusters {

    static final ResourceDefinitionContext POLICIES = new ResourceDefinitionContext.Builder()
            .withGroup(Stockade.GROUP).withVersion(Stockade.VERSION).withPlural("sandboxpolicies").withKind("SandboxPolicy")
            .withNamespaced(false).build();

    static Path repository() {
        return Path.of(System.getProperty("user.dir")).resolve("../..").normalize();
    }

    /** A SandboxPolicy as a user would write it in YAML (the test does not use the operator's classes). */
    static GenericKubernetesResource policy(String name, Map<String, Object> spec) {
        GenericKubernetesResource policy = new GenericKubernetesResource();
        policy.setApiVersion(Stockade.GROUP + "/" + Stockade.VERSION);
        policy.setKind("SandboxPolicy");
        policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
        policy.setAdditionalProperty("spec", spec);
        return policy;
    }

    /** Nothing of Stockade on the node, and the RuntimeClass gone. */
    static void assertClean(KubernetesClient client, String nodeName, String runtimeClass) {
        Node node = client.nodes().withName(nodeName).get();
        assertTrue(node.getMetadata().getLabels().keySet().stream().noneMatch(k -> k.startsWith(Stockade.GROUP)),
                "labels: " + node.getMetadata().getLabels());
        assertTrue(node.getMetadata().getAnnotations() == null || node.getMetadata().getAnnotations().keySet().stream()
                .noneMatch(k -> k.startsWith(Stockade.GROUP)), "annotations: " + node.getMetadata().getAnnotations());
        assertTrue(node.getSpec().getTaints() == null || node.getSpec().getTaints().stream()
                .noneMatch(t -> Stockade.SANDBOX_TAINT_KEY.equals(t.getKey())), "taints: " + node.getSpec().getTaints());
        assertNull(client.resources(RuntimeClass.class).withName(runtimeClass).get());
    }

    private Clusters() {
    }
}
