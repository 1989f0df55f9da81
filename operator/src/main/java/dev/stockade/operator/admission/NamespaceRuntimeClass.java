package dev.stockade.operator.admission;

import dev.stockade.api.Stockade;
import dev.stockade.operator.policy.PolicyObjects;
import dev.stockade.operator.policy.RuntimeClassSpec;
import dev.stockade.operator.policy.SandboxPolicy;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBindingBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1beta1.MutatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1beta1.MutatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1beta1.MutatingAdmissionPolicyBindingBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1beta1.MutatingAdmissionPolicyBuilder;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Opt-in namespaces: a namespace labelled {@code stockade.dev/runtime-class=<class>} runs its pods
 * sandboxed by default.
 * <ul>
 *   <li>A MutatingAdmissionPolicy (admissionregistration.k8s.io/v1beta1, Kubernetes 1.34 with the
 *       API enabled) gives every pod there that names no RuntimeClass the label's class. It runs
 *       after the built-in RuntimeClass admission plugin (kube-apiserver's plugin order), so it
 *       also adds what that plugin would have: the class's node selector, its toleration of the
 *       pool's taint and its overhead (the plugin's validation refuses a pod whose overhead differs
 *       from its RuntimeClass's).</li>
 *   <li>A ValidatingAdmissionPolicy refuses any pod there whose class is not a Stockade class:
 *       another class named on purpose, or none because the label names no Stockade class (or the
 *       cluster cannot run the mutating policy).</li>
 * </ul>
 * Both are shared by every SandboxPolicy: they carry the classes of all of them, as literals.
 */
public final class NamespaceRuntimeClass {

    public static final String NAME = "stockade-namespace-runtime-class";
    public static final String LABEL = Stockade.GROUP + "/runtime-class";

    /** A Stockade class as a pod needs it: its pool (node selector and taint) and overhead. */
    public record StockadeClass(String name, String policy, String taintEffect, Map<String, Quantity> overhead) {
    }

    /**
     * Every class of every (valid, live) policy, by name. When two policies name the same class,
     * the older one's is kept: it owns the RuntimeClass, the younger is Degraded with
     * RuntimeClassConflict (a CEL map literal must not repeat a key either).
     */
    public static List<StockadeClass> classesOf(List<SandboxPolicy> policies) {
        Map<String, StockadeClass> byName = new TreeMap<>();
        policies.stream()
                .sorted(Comparator.comparing((SandboxPolicy p) -> String.valueOf(p.getMetadata().getCreationTimestamp()))
                        .thenComparing(p -> p.getMetadata().getName()))
                .flatMap(p -> p.getSpec().getRuntimeClasses().stream().map(rc -> stockadeClass(p, rc)))
                .forEach(c -> byName.putIfAbsent(c.name(), c));
        return List.copyOf(byName.values());
    }

    private static StockadeClass stockadeClass(SandboxPolicy policy, RuntimeClassSpec runtimeClass) {
        return new StockadeClass(runtimeClass.getName(), policy.getMetadata().getName(),
                policy.getSpec().effectiveTaintEffect().name(),
                runtimeClass.getOverhead() == null ? Map.of() : new TreeMap<>(runtimeClass.getOverhead()));
    }

    public static MutatingAdmissionPolicy mutatingPolicy(List<StockadeClass> classes) {
        String tolerationValue = "{'key': '" + Stockade.SANDBOX_TAINT_KEY + "', 'operator': 'Equal', "
                + "'value': variables.policies[variables.class], 'effect': variables.effects[variables.class]}";
        String readyKey = "jsonpatch.escapeKey('" + Stockade.RUNTIME_READY_LABEL + "')";
        String mutation = "variables.class in variables.policies ? ["
                + "JSONPatch{op: 'add', path: '/spec/runtimeClassName', value: variables.class},"
                + " has(object.spec.nodeSelector)"
                + " ? JSONPatch{op: 'add', path: '/spec/nodeSelector/' + " + readyKey + ", value: variables.policies[variables.class]}"
                + " : JSONPatch{op: 'add', path: '/spec/nodeSelector', value: {'" + Stockade.RUNTIME_READY_LABEL
                + "': variables.policies[variables.class]}},"
                + " has(object.spec.tolerations)"
                + " ? JSONPatch{op: 'add', path: '/spec/tolerations/-', value: " + tolerationValue + "}"
                + " : JSONPatch{op: 'add', path: '/spec/tolerations', value: [" + tolerationValue + "]}"
                + "] + (size(variables.overheads[variables.class]) > 0"
                + " ? [JSONPatch{op: 'add', path: '/spec/overhead', value: variables.overheads[variables.class]}] : [])"
                + " : []";
        return new MutatingAdmissionPolicyBuilder()
                .withMetadata(metadata())
                .withNewSpec()
                    .withFailurePolicy("Fail")
                    .withReinvocationPolicy("Never")
                    .withNewMatchConstraints()
                        .withNamespaceSelector(optedIn())
                        .addNewResourceRule()
                            .withApiGroups("").withApiVersions("v1").withOperations("CREATE").withResources("pods")
                        .endResourceRule()
                    .endMatchConstraints()
                    .addNewMatchCondition()
                        .withName("names-no-runtime-class").withExpression("object.spec.?runtimeClassName.orValue('') == ''")
                    .endMatchCondition()
                    .addNewVariable().withName("class")
                        .withExpression("namespaceObject.metadata.labels[?'" + LABEL + "'].orValue('')").endVariable()
                    .addNewVariable().withName("policies").withExpression(byClass(classes, c -> literal(c.policy()))).endVariable()
                    .addNewVariable().withName("effects").withExpression(byClass(classes, c -> literal(c.taintEffect()))).endVariable()
                    .addNewVariable().withName("overheads").withExpression(byClass(classes, c -> c.overhead().entrySet().stream()
                            .map(e -> literal(e.getKey()) + ": " + literal(e.getValue().toString()))
                            .collect(Collectors.joining(", ", "{", "}")))).endVariable()
                    .addNewMutation()
                        .withPatchType("JSONPatch")
                        .withNewJsonPatch().withExpression(mutation).endJsonPatch()
                    .endMutation()
                .endSpec()
                .build();
    }

    public static MutatingAdmissionPolicyBinding mutatingBinding() {
        return new MutatingAdmissionPolicyBindingBuilder()
                .withMetadata(metadata())
                .withNewSpec().withPolicyName(NAME).endSpec()
                .build();
    }

    public static ValidatingAdmissionPolicy validatingPolicy(List<StockadeClass> classes) {
        String names = classes.stream().map(c -> literal(c.name())).collect(Collectors.joining(", ", "[", "]"));
        return new ValidatingAdmissionPolicyBuilder()
                .withMetadata(metadata())
                .withNewSpec()
                    .withFailurePolicy("Fail")
                    .withNewMatchConstraints()
                        .withNamespaceSelector(optedIn())
                        .addNewResourceRule()
                            .withApiGroups("").withApiVersions("v1").withOperations("CREATE").withResources("pods")
                        .endResourceRule()
                    .endMatchConstraints()
                    .addNewVariable().withName("classes").withExpression(names).endVariable()
                    .addNewValidation()
                        .withExpression("object.spec.?runtimeClassName.orValue('') in variables.classes")
                        .withReason("Forbidden")
                        .withMessageExpression("'namespace ' + request.namespace + ' is labelled " + LABEL + "='"
                                + " + namespaceObject.metadata.labels[?'" + LABEL + "'].orValue('')"
                                + " + ': its pods must run in a Stockade RuntimeClass (one of ' + variables.classes.join(', ')"
                                + " + '), but this pod names ' + (object.spec.?runtimeClassName.orValue('') == '' ? 'none'"
                                + " : object.spec.runtimeClassName) + '; name one of those in spec.runtimeClassName, or fix the"
                                + " namespace label'")
                    .endValidation()
                .endSpec()
                .build();
    }

    public static ValidatingAdmissionPolicyBinding validatingBinding() {
        return new ValidatingAdmissionPolicyBindingBuilder()
                .withMetadata(metadata())
                .withNewSpec().withPolicyName(NAME).withValidationActions("Deny").endSpec()
                .build();
    }

    /**
     * A CEL map literal from class name to {@code value} (CEL map literals need one value type, so
     * each property of a class is its own map).
     */
    static String byClass(List<StockadeClass> classes, Function<StockadeClass, String> value) {
        return classes.stream().map(c -> literal(c.name()) + ": " + value.apply(c)).collect(Collectors.joining(", ", "{", "}"));
    }

    /** A CEL string literal. Names and quantities are validated elsewhere; this refuses rather than escapes. */
    private static String literal(String value) {
        if (!value.matches("[A-Za-z0-9./_+-]*")) {
            throw new IllegalArgumentException("not a safe CEL literal: " + value);
        }
        return "'" + value + "'";
    }

    private static LabelSelector optedIn() {
        return new LabelSelectorBuilder().addNewMatchExpression().withKey(LABEL).withOperator("Exists").endMatchExpression().build();
    }

    private static ObjectMeta metadata() {
        return new ObjectMetaBuilder().withName(NAME).withLabels(Map.of(
                PolicyObjects.MANAGED_BY_LABEL, PolicyObjects.MANAGED_BY,
                PolicyObjects.PART_OF_LABEL, "stockade",
                PolicyObjects.NAME_LABEL, NAME)).build();
    }

    private NamespaceRuntimeClass() {
    }
}
