package dev.stockade.operator.policy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A node this policy selects but cannot take, because another policy's pool holds it. */
public record NodeConflict(
        @JsonPropertyDescription("Node name.")
        String node,
        @JsonPropertyDescription("The policy whose pool holds the node.")
        String heldBy) {
}
