package dev.stockade.operator.pool;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Evaluates label selectors in our own code. The API server's filtering cannot be relied on for
 * set-based selectors (the fabric8 mock ignores them), and the pool must be exactly what the
 * policy says on any server.
 */
public final class LabelSelectors {

    /** Kubernetes semantics: an empty selector matches everything; an absent one matches nothing. */
    public static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        Map<String, String> nodeLabels = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> wanted : selector.getMatchLabels().entrySet()) {
                if (!wanted.getValue().equals(nodeLabels.get(wanted.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
                if (!matches(requirement, nodeLabels)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean matches(LabelSelectorRequirement requirement, Map<String, String> labels) {
        String value = labels.get(requirement.getKey());
        List<String> values = requirement.getValues() == null ? List.of() : requirement.getValues();
        return switch (requirement.getOperator()) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> labels.containsKey(requirement.getKey());
            case "DoesNotExist" -> !labels.containsKey(requirement.getKey());
            // validate() reports it; an unknown operator must never widen the pool.
            default -> false;
        };
    }

    /** Problems with a selector, each naming the field under {@code path}. */
    public static List<String> validate(LabelSelector selector, String path) {
        List<String> problems = new ArrayList<>();
        if (selector == null) {
            problems.add(path + " is required; use {} to select every node");
            return problems;
        }
        List<LabelSelectorRequirement> expressions = selector.getMatchExpressions() == null
                ? List.of() : selector.getMatchExpressions();
        for (int i = 0; i < expressions.size(); i++) {
            LabelSelectorRequirement requirement = expressions.get(i);
            String at = path + ".matchExpressions[" + i + "]";
            int valueCount = requirement.getValues() == null ? 0 : requirement.getValues().size();
            if (requirement.getKey() == null || requirement.getKey().isBlank()) {
                problems.add(at + ".key is required");
            }
            String operator = requirement.getOperator();
            if ("In".equals(operator) || "NotIn".equals(operator)) {
                if (valueCount == 0) {
                    problems.add(at + ".values must not be empty for operator " + operator);
                }
            } else if ("Exists".equals(operator) || "DoesNotExist".equals(operator)) {
                if (valueCount > 0) {
                    problems.add(at + ".values must be empty for operator " + operator);
                }
            } else {
                problems.add(at + ".operator \"" + operator + "\" is not one of In, NotIn, Exists, DoesNotExist");
            }
        }
        return problems;
    }

    private LabelSelectors() {
    }
}
