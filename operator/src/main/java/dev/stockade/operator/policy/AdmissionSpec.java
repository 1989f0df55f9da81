package dev.stockade.operator.policy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

import java.util.List;

/** How admission keeps the pool to sandboxed pods (the pool fence, see admission.PoolFence). */
public class AdmissionSpec {

    @JsonPropertyDescription("Namespaces whose pods may run on the pool without one of its RuntimeClasses: list the namespaces "
            + "of cluster DaemonSets that tolerate every taint (CNI, kube-proxy, log shippers). The installer's own pods are "
            + "always allowed. Default: [kube-system].")
    @Default("[\"kube-system\"]")
    private List<String> exemptNamespaces;

    public List<String> getExemptNamespaces() {
        return exemptNamespaces;
    }

    public void setExemptNamespaces(List<String> exemptNamespaces) {
        this.exemptNamespaces = exemptNamespaces;
    }
}
