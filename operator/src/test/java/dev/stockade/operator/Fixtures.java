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
