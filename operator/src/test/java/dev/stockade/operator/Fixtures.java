package dev.stockade.operator;

import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.operator.policy.RuntimeClassSpec;
import dev.stockade.operator.policy.SandboxPolicy;
import dev.stockade.operator.policy.SandboxPolicySpec;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Policies and nodes shaped like the ones a cluster admin writes and a kubelet registers. */
public final class Fixtures {

    /** A node as the watch delivers a KWOK node's heartbeat (trimmed). */
    public static final String KWOK_NODE_JSON = """
            {"apiVersion":"v1","kind":"Node","metadata":{"name":"kwok-node-1","uid":"u1","resourceVersion":"4711",
             "labels":{"bench.stockade.dev/pool":"yes","stockade.dev/pool":"sandbox"},
             "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},
             "managedFields":[{"manager":"kwok","operation":"Update","apiVersion":"v1","time":"2026-12-01T01:00:00Z",
               "fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{}}},"subresource":"status"}]},
             "spec":{"taints":[{"key":"stockade.dev/sandbox","value":"sandbox","effect":"NoSchedule"}]},
             "status":{"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2026-12-01T01:00:00Z"}],
               "addresses":[{"type":"InternalIP","address":"10.127.0.1"}],"capacity":{"cpu":"32","pods":"110"},
               "nodeInfo":{"kubeletVersion":"kwok-v0.8.0"},"images":[{"names":["example.com/app:1"],"sizeBytes":1}]}}
            """;

    public static SandboxPolicy policy(String name, LabelSelector selector, String... runtimeClassNames) {
        SandboxPolicy policy = new SandboxPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
        SandboxPolicySpec spec = new SandboxPolicySpec();
        spec.setNodeSelector(selector);
        List<RuntimeClassSpec> classes = new ArrayList<>();
        for (String className : runtimeClassNames) {
            RuntimeClassSpec runtimeClass = new RuntimeClassSpec();
            runtimeClass.setName(className);
            runtimeClass.setOverhead(Map.of("cpu", new Quantity("10m"), "memory", new Quantity("16Mi")));
            runtimeClass.setProfile(new SandboxProfile(null, null, null, null, null, 512L, null, null, null, null, null));
            classes.add(runtimeClass);
        }
        spec.setRuntimeClasses(classes);
        policy.setSpec(spec);
        return policy;
    }

    public static LabelSelector selectLabel(String key, String value) {
        return new LabelSelectorBuilder().addToMatchLabels(key, value).build();
    }

    /** A set-based selector: the kind the mock API server would silently ignore. */
    public static LabelSelector selectIn(String key, String... values) {
        return new LabelSelectorBuilder().addNewMatchExpression()
                .withKey(key).withOperator("In").withValues(values).endMatchExpression().build();
    }

    public static Node node(String name, Map<String, String> labels, Taint... taints) {
        return new NodeBuilder()
                .withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withTaints(taints).endSpec()
                .build();
    }

    private Fixtures() {
    }
}
