package dev.stockade.helm;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashSet;
import java.util.Set;

/** RBAC rules flattened to single grants, so that two sets of rules can be compared. */
final class RbacRules {

    record Grant(String apiGroup, String resource, String verb) {
        @Override
        public String toString() {
            return (apiGroup.isEmpty() ? "core" : apiGroup) + "/" + resource + ":" + verb;
        }
    }

    static Set<Grant> grants(JsonNode rules) {
        Set<Grant> grants = new LinkedHashSet<>();
        for (JsonNode rule : rules) {
            if (rule.has("resourceNames") || rule.has("nonResourceURLs")) {
                throw new AssertionError("rule not understood by this comparison: " + rule);
            }
            for (JsonNode group : rule.path("apiGroups")) {
                for (JsonNode resource : rule.path("resources")) {
                    for (JsonNode verb : rule.path("verbs")) {
                        grants.add(new Grant(group.asText(), resource.asText(), verb.asText()));
                    }
                }
            }
        }
        return grants;
    }

    private RbacRules() {
    }
}
