package dev.stockade.operator.admission;

import dev.stockade.api.Stockade;
import dev.stockade.operator.install.InstallerDaemonSet;
import dev.stockade.operator.policy.PolicyObjects;
import dev.stockade.operator.policy.SandboxPolicy;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBindingBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBuilder;

import java.util.Map;

/**
 * The pool fence: a ValidatingAdmissionPolicy the API server evaluates itself (Kubernetes
 * "Validating Admission Policy", admissionregistration.k8s.io/v1, GA in 1.30). A pod that would
 * run on a policy's pool must use one of that policy's RuntimeClasses. A pod would run there when
 * <ul>
 *   <li>it tolerates the pool's taint: {@code stockade.dev/sandbox} with the policy's value or
 *       {@code Exists}, or an empty key with {@code Exists} (every taint), for the pool's effect;</li>
 *   <li>its {@code spec.nodeName} is a pool node (one of the policy's {@code status.nodeStatuses});</li>
 *   <li>its {@code spec.nodeSelector} names the pool's label or its ready label.</li>
 * </ul>
 * One policy object is shared; each SandboxPolicy gets a binding that names it as the parameter,
 * owned by it (garbage collection removes the binding with the policy). Exempt: the namespaces in
 * {@code spec.admission.exemptNamespaces}, the policy's own installer pods in the operator's
 * namespace, and kubelet mirror pods (a static pod runs whatever the API says; its manifest is
 * root's on the node).
 * <p>
 * Checked on CREATE, and on UPDATE when the tolerations change (the only one of these fields a pod
 * update may change). {@code failurePolicy: Fail}: an expression error refuses rather than opens
 * the fence; the expressions guard every optional field with {@code has()}. A missing parameter
 * (the policy was deleted, its binding not yet collected) allows: by then the pool is released.
 */
public final class PoolFence {

    public static final String NAME = "stockade-pool-fence";
    public static final String COMPONENT = "stockade-pool-fence";

    private static final String TOLERATES = """
            has(object.spec.tolerations) && object.spec.tolerations.exists(t,
              (!has(t.effect) || t.effect == '' || t.effect == variables.effect) &&
              ((has(t.operator) && t.operator == 'Exists' && (!has(t.key) || t.key == '')) ||
               (has(t.key) && t.key == '%1$s' &&
                ((has(t.operator) && t.operator == 'Exists') || (has(t.value) && t.value == params.metadata.name)))))""";

    /**
     * The shared policy. {@code operatorNamespace} is where the installer pods run; their exemption
     * is written into the expression so that a parameter cannot widen it.
     */
    public static ValidatingAdmissionPolicy policy(String operatorNamespace) {
        String installerExempt = "request.namespace == '%s' && has(object.metadata.labels)".formatted(operatorNamespace)
                + " && object.metadata.labels[?'%s'].orValue('') == '%s'".formatted(PolicyObjects.NAME_LABEL, InstallerDaemonSet.COMPONENT)
                + " && object.metadata.labels[?'%s'].orValue('') == params.metadata.name".formatted(PolicyObjects.POLICY_LABEL);
        return new ValidatingAdmissionPolicyBuilder()
                .withMetadata(new ObjectMetaBuilder().withName(NAME).withLabels(Map.of(
                        PolicyObjects.MANAGED_BY_LABEL, PolicyObjects.MANAGED_BY,
                        PolicyObjects.PART_OF_LABEL, "stockade",
                        PolicyObjects.NAME_LABEL, COMPONENT)).build())
                .withNewSpec()
                    .withFailurePolicy("Fail")
                    .withNewParamKind().withApiVersion(Stockade.GROUP + "/" + Stockade.VERSION).withKind("SandboxPolicy").endParamKind()
                    .withNewMatchConstraints()
                        .addNewResourceRule()
                            .withApiGroups("").withApiVersions("v1").withOperations("CREATE", "UPDATE").withResources("pods")
                        .endResourceRule()
                    .endMatchConstraints()
                    .addNewMatchCondition()
                        .withName("creates-or-changes-tolerations")
                        .withExpression("request.operation == 'CREATE' || "
                                + "object.spec.?tolerations.orValue([]) != oldObject.spec.?tolerations.orValue([])")
                    .endMatchCondition()
                    .addNewVariable().withName("effect")
                        .withExpression("params.spec.?taintEffect.orValue('NoSchedule')").endVariable()
                    .addNewVariable().withName("classes")
                        .withExpression("params.spec.runtimeClasses.map(c, c.name)").endVariable()
                    .addNewVariable().withName("exempt")
                        .withExpression("request.namespace in params.spec.?admission.?exemptNamespaces.orValue(['kube-system'])"
                                + " || (" + installerExempt + ")"
                                + " || object.metadata.?annotations[?'kubernetes.io/config.mirror'].hasValue()").endVariable()
                    .addNewVariable().withName("tolerates")
                        .withExpression(TOLERATES.formatted(Stockade.SANDBOX_TAINT_KEY).replaceAll("\\s*\\n\\s*", " ")).endVariable()
                    .addNewVariable().withName("pinned")
                        .withExpression("object.spec.?nodeName.orValue('') != '' && params.?status.?nodeStatuses.orValue([])"
                                + ".exists(n, n.name == object.spec.nodeName)").endVariable()
                    .addNewVariable().withName("selects")
                        .withExpression("object.spec.?nodeSelector[?'%s'].orValue('') == params.metadata.name".formatted(Stockade.POOL_LABEL)
                                + " || object.spec.?nodeSelector[?'%s'].orValue('') == params.metadata.name".formatted(Stockade.RUNTIME_READY_LABEL))
                        .endVariable()
                    .addNewValidation()
                        .withExpression("variables.exempt || !(variables.tolerates || variables.pinned || variables.selects)"
                                + " || object.spec.?runtimeClassName.orValue('') in variables.classes")
                        .withReason("Forbidden")
                        .withMessageExpression("'SandboxPolicy ' + params.metadata.name + ': the pod would run on its sandbox pool ('"
                                + " + (variables.pinned ? 'spec.nodeName ' + object.spec.nodeName + ' is a pool node'"
                                + " : variables.tolerates ? 'it tolerates the taint " + Stockade.SANDBOX_TAINT_KEY + "'"
                                + " : 'its spec.nodeSelector selects the pool')"
                                + " + ') without one of its RuntimeClasses; set spec.runtimeClassName to one of ['"
                                + " + variables.classes.join(', ') + '], or have an admin list namespace ' + request.namespace"
                                + " + ' in the policy\\'s spec.admission.exemptNamespaces'")
                    .endValidation()
                .endSpec()
                .build();
    }

    /** The policy's binding: the shared fence with this policy as its parameter, owned by it. */
    public static ValidatingAdmissionPolicyBinding binding(SandboxPolicy policy) {
        return new ValidatingAdmissionPolicyBindingBuilder()
                .withMetadata(PolicyObjects.ownedMetadata(policy, bindingName(policy.getMetadata().getName()), null, COMPONENT))
                .withNewSpec()
                    .withPolicyName(NAME)
                    .withNewParamRef().withName(policy.getMetadata().getName()).withParameterNotFoundAction("Allow").endParamRef()
                    .withValidationActions("Deny")
                .endSpec()
                .build();
    }

    public static String bindingName(String policy) {
        return NAME + "-" + policy;
    }

    private PoolFence() {
    }
}
