package dev.stockade.operator.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SandboxPolicyStatus {

    @JsonPropertyDescription("The policy generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Ready: every pool node runs the verified runtime. Progressing: nodes are being added, installed or removed. Degraded: the spec is invalid, nodes failed, or the API server refused a change (reason ApiError).")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("Nodes chosen for the pool.")
    private Integer desiredNodes;

    @JsonPropertyDescription("Pool nodes whose installer verified the runtime.")
    private Integer readyNodes;

    @JsonPropertyDescription("readyNodes/desiredNodes, for kubectl get.")
    private String nodes;

    @JsonPropertyDescription("Names of the published RuntimeClasses, comma-separated.")
    private String runtimeClasses;

    @JsonPropertyDescription("Every node of the pool, and nodes leaving it, with their install phase.")
    private List<NodeStatus> nodeStatuses = new ArrayList<>();

    @JsonPropertyDescription("Nodes this policy selects but that another (older) policy's pool holds.")
    private List<NodeConflict> conflicts = new ArrayList<>();

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public Integer getDesiredNodes() {
        return desiredNodes;
    }

    public void setDesiredNodes(Integer desiredNodes) {
        this.desiredNodes = desiredNodes;
    }

    public Integer getReadyNodes() {
        return readyNodes;
    }

    public void setReadyNodes(Integer readyNodes) {
        this.readyNodes = readyNodes;
    }

    public String getNodes() {
        return nodes;
    }

    public void setNodes(String nodes) {
        this.nodes = nodes;
    }

    public String getRuntimeClasses() {
        return runtimeClasses;
    }

    public void setRuntimeClasses(String runtimeClasses) {
        this.runtimeClasses = runtimeClasses;
    }

    public List<NodeStatus> getNodeStatuses() {
        return nodeStatuses;
    }

    public void setNodeStatuses(List<NodeStatus> nodeStatuses) {
        this.nodeStatuses = nodeStatuses;
    }

    public List<NodeConflict> getConflicts() {
        return conflicts;
    }

    public void setConflicts(List<NodeConflict> conflicts) {
        this.conflicts = conflicts;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxPolicyStatus that
                && Objects.equals(observedGeneration, that.observedGeneration)
                && Objects.equals(conditions, that.conditions)
                && Objects.equals(desiredNodes, that.desiredNodes)
                && Objects.equals(readyNodes, that.readyNodes)
                && Objects.equals(nodes, that.nodes)
                && Objects.equals(runtimeClasses, that.runtimeClasses)
                && Objects.equals(nodeStatuses, that.nodeStatuses)
                && Objects.equals(conflicts, that.conflicts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions, desiredNodes, readyNodes, nodes, runtimeClasses,
                nodeStatuses, conflicts);
    }
}
