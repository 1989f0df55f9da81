package dev.stockade.operator.policy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;

import java.util.List;

public class SandboxPolicySpec {

    @JsonPropertyDescription("Nodes eligible for the pool (matchLabels and matchExpressions, as in a Deployment's selector). An empty selector matches every node.")
    @Required
    private LabelSelector nodeSelector;

    @JsonPropertyDescription("At most this many eligible nodes join the pool. Nodes already in the pool keep their place, then nodes are taken in name order, so the pool does not churn. Unset: every eligible node.")
    @Min(1)
    private Integer maxNodes;

    @JsonPropertyDescription("Effect of the stockade.dev/sandbox taint that keeps ordinary pods off the pool. NoExecute also evicts pods already running there that do not tolerate it. PreferNoSchedule keeps no pod off for sure: the scheduler may place any pod there, and the admission fence cannot see it.")
    @Default("NoSchedule")
    private TaintEffect taintEffect;

    @JsonPropertyDescription("RuntimeClasses to publish; each gets its own handler and sandbox profile on every pool node.")
    @Required
    @Size(min = 1, max = 16)
    @ValidationRule(value = "self.all(a, self.exists_one(b, b.name == a.name))", message = "runtime class names must be unique")
    private List<RuntimeClassSpec> runtimeClasses;

    @JsonPropertyDescription("How the installer DaemonSet runs on pool nodes.")
    private InstallerSpec installer;

    @JsonPropertyDescription("Which pods admission lets onto the pool without one of its RuntimeClasses.")
    @Default("{}")
    private AdmissionSpec admission;

    public enum TaintEffect { NoSchedule, PreferNoSchedule, NoExecute }

    public LabelSelector getNodeSelector() {
        return nodeSelector;
    }

    public void setNodeSelector(LabelSelector nodeSelector) {
        this.nodeSelector = nodeSelector;
    }

    public Integer getMaxNodes() {
        return maxNodes;
    }

    public void setMaxNodes(Integer maxNodes) {
        this.maxNodes = maxNodes;
    }

    public TaintEffect getTaintEffect() {
        return taintEffect;
    }

    public void setTaintEffect(TaintEffect taintEffect) {
        this.taintEffect = taintEffect;
    }

    public List<RuntimeClassSpec> getRuntimeClasses() {
        return runtimeClasses;
    }

    public void setRuntimeClasses(List<RuntimeClassSpec> runtimeClasses) {
        this.runtimeClasses = runtimeClasses;
    }

    public InstallerSpec getInstaller() {
        return installer;
    }

    public void setInstaller(InstallerSpec installer) {
        this.installer = installer;
    }

    public AdmissionSpec getAdmission() {
        return admission;
    }

    public void setAdmission(AdmissionSpec admission) {
        this.admission = admission;
    }

    /** The taint effect with its default applied (the mock API server does not default fields). */
    public TaintEffect effectiveTaintEffect() {
        return taintEffect == null ? TaintEffect.NoSchedule : taintEffect;
    }
}
