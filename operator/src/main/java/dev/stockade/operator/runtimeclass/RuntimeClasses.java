package dev.stockade.operator.runtimeclass;

import dev.stockade.api.Stockade;
import dev.stockade.operator.policy.PolicyObjects;
import dev.stockade.operator.policy.RuntimeClassSpec;
import dev.stockade.operator.policy.SandboxPolicy;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One RuntimeClass per runtime class of the policy. Its scheduling rules send pods only to nodes
 * whose installer verified the handler (the ready label), and let them past the pool's taint.
 */
public final class RuntimeClasses {

    public static final String COMPONENT = "stockade-runtimeclass";

    public static List<RuntimeClass> desired(SandboxPolicy policy) {
        return policy.getSpec().getRuntimeClasses().stream().map(rc -> desired(policy, rc)).toList();
    }

    static RuntimeClass desired(SandboxPolicy policy, RuntimeClassSpec runtimeClass) {
        String policyName = policy.getMetadata().getName();
        RuntimeClassBuilder builder = new RuntimeClassBuilder()
                .withMetadata(PolicyObjects.ownedMetadata(policy, runtimeClass.getName(), null, COMPONENT))
                .withHandler(runtimeClass.effectiveHandler())
                .withNewScheduling()
                    .withNodeSelector(Map.of(Stockade.RUNTIME_READY_LABEL, policyName))
                    .withTolerations(new TolerationBuilder()
                            .withKey(Stockade.SANDBOX_TAINT_KEY)
                            .withOperator("Equal")
                            .withValue(policyName)
                            .withEffect(policy.getSpec().effectiveTaintEffect().name())
                            .build())
                .endScheduling();
        if (runtimeClass.getOverhead() != null && !runtimeClass.getOverhead().isEmpty()) {
            builder.withNewOverhead().withPodFixed(runtimeClass.getOverhead()).endOverhead();
        }
        return builder.build();
    }

    /** Whether the live object needs an update, or (handler differs) a replacement. */
    public static boolean sameSpec(RuntimeClass live, RuntimeClass desired) {
        return Objects.equals(live.getHandler(), desired.getHandler())
                && Objects.equals(live.getOverhead(), desired.getOverhead())
                && Objects.equals(live.getScheduling(), desired.getScheduling())
                && live.getMetadata().getLabels() != null
                && live.getMetadata().getLabels().entrySet().containsAll(desired.getMetadata().getLabels().entrySet());
    }

    private RuntimeClasses() {
    }
}
