package dev.stockade.operator.policy;

import dev.stockade.api.Stockade;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A sandboxed node pool: which nodes, how they are fenced, and the runtime classes that route
 * untrusted pods to them. Cluster-scoped because it acts on nodes and RuntimeClasses.
 */
@Group(Stockade.GROUP)
@Version(Stockade.VERSION)
@ShortNames("sbp")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Nodes", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.nodes")
@AdditionalPrinterColumn(name = "RuntimeClasses", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.runtimeClasses")
@ValidationRule(value = "self.metadata.name.size() <= 42 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
        message = "metadata.name must be a DNS label of at most 42 characters: it becomes a node label value and part of object names")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE, jsonPath = ".metadata.creationTimestamp")
public class SandboxPolicy extends CustomResource<SandboxPolicySpec, SandboxPolicyStatus> {

    @Override
    protected SandboxPolicyStatus initStatus() {
        return new SandboxPolicyStatus();
    }
}
