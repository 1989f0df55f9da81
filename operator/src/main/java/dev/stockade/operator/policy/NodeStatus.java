package dev.stockade.operator.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One pool node as the policy status shows it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeStatus(
        @JsonPropertyDescription("Node name.")
        String name,
        @JsonPropertyDescription("Pending (fenced, installer not started), Installing, Ready, Failed or Removing.")
        NodePhase phase,
        @JsonPropertyDescription("The installer's last message about this node.")
        String message,
        @JsonPropertyDescription("Version of the sandbox runtime installed on the node.")
        String runtimeVersion) {

    public enum NodePhase { Pending, Installing, Ready, Failed, Removing }
}
