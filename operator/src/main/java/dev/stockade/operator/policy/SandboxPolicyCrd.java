package dev.stockade.operator.policy;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Finishes the generated SandboxPolicy CRD where the fabric8 generator cannot
 * ({@code quarkus.operator-sdk.crd.post-processor}, run at build time only):
 * <ul>
 *   <li>printer columns in the order {@link SandboxPolicy} declares them ({@code NAME READY NODES
 *       RUNTIMECLASSES AGE}); the generator sorts them by JSON path (fabric8 issue 7454);</li>
 *   <li>a description for every field typed by a Kubernetes model class, whose fabric8 classes
 *       carry none, so {@code kubectl explain sbp.spec...} documents each field. The wording follows
 *       the Kubernetes API reference of the same types (LocalObjectReference, ResourceRequirements,
 *       LabelSelector, Condition).</li>
 * </ul>
 */
public class SandboxPolicyCrd implements CRDPostProcessor {

    /** Field (dotted path below the schema root, {@code []} for list items) to its description. */
    static final Map<String, String> KUBERNETES_FIELD_DESCRIPTIONS = Map.ofEntries(
            Map.entry("spec", "What the pool is: which nodes, how they are fenced, and its runtime classes."),
            Map.entry("status", "What the operator observed, written by it only."),
            Map.entry("spec.installer.imagePullSecrets[].name",
                    "Name of a Secret of type kubernetes.io/dockerconfigjson in the operator's namespace."),
            Map.entry("spec.installer.resources.limits",
                    "The most of each resource (cpu, memory) the installer container may use, e.g. {memory: 256Mi}."),
            Map.entry("spec.installer.resources.requests",
                    "The resources (cpu, memory) the scheduler reserves for the installer container, e.g. {cpu: 10m, memory: 64Mi}."),
            Map.entry("spec.installer.resources.claims",
                    "Dynamic resource claims of the pod that the installer container uses (DynamicResourceAllocation); usually empty."),
            Map.entry("spec.installer.resources.claims[].name", "Name of an entry of the pod's spec.resourceClaims."),
            Map.entry("spec.installer.resources.claims[].request",
                    "Name of one request within that claim; empty: the whole claim."),
            Map.entry("spec.nodeSelector.matchLabels",
                    "Labels a node must have, key to value; the same as a matchExpressions entry with operator In and one value."),
            Map.entry("spec.nodeSelector.matchExpressions",
                    "Label requirements a node must meet, all of them (AND)."),
            Map.entry("spec.nodeSelector.matchExpressions[].key", "The label key the requirement applies to."),
            Map.entry("spec.nodeSelector.matchExpressions[].operator", "In, NotIn, Exists or DoesNotExist."),
            Map.entry("spec.nodeSelector.matchExpressions[].values",
                    "Label values: at least one for In and NotIn, none for Exists and DoesNotExist."),
            Map.entry("status.conditions[].type", "Ready, Progressing, Degraded or AdmissionFence."),
            Map.entry("status.conditions[].status", "True, False or Unknown."),
            Map.entry("status.conditions[].reason", "A one-word CamelCase reason for the condition's last transition."),
            Map.entry("status.conditions[].message", "What happened, for people to read."),
            Map.entry("status.conditions[].lastTransitionTime", "When the status last changed from one value to another (RFC 3339)."),
            Map.entry("status.conditions[].observedGeneration", "The policy's metadata.generation the condition was computed from."));

    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
        if (!(crd instanceof CustomResourceDefinition definition)
                || !"SandboxPolicy".equals(definition.getSpec().getNames().getKind())) {
            return crd;
        }
        List<String> declared = Arrays.stream(SandboxPolicy.class.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::name).toList();
        for (CustomResourceDefinitionVersion version : definition.getSpec().getVersions()) {
            if (version.getAdditionalPrinterColumns() != null) {
                version.getAdditionalPrinterColumns().sort(Comparator.comparingInt(
                        (CustomResourceColumnDefinition column) -> declared.indexOf(column.getName())));
            }
            JSONSchemaProps root = version.getSchema().getOpenAPIV3Schema();
            KUBERNETES_FIELD_DESCRIPTIONS.forEach((path, description) -> describe(root, path, description));
        }
        return definition;
    }

    /** Sets the description of the field at {@code path} if the generator left it empty. */
    private static void describe(JSONSchemaProps root, String path, String description) {
        JSONSchemaProps field = root;
        for (String part : path.split("\\.")) {
            boolean item = part.endsWith("[]");
            field = field.getProperties() == null ? null : field.getProperties().get(item ? part.substring(0, part.length() - 2) : part);
            if (field != null && item) {
                field = field.getItems() == null ? null : field.getItems().getSchema();
            }
            if (field == null) {
                throw new IllegalStateException("SandboxPolicy CRD has no field " + path + ": update SandboxPolicyCrd");
            }
        }
        if (field.getDescription() == null || field.getDescription().isBlank()) {
            field.setDescription(description);
        }
    }
}
