package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import dev.stockade.operator.policy.NodeConflict;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Node;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.stockade.operator.Fixtures.node;
import static dev.stockade.operator.Fixtures.selectIn;
import static dev.stockade.operator.Fixtures.selectLabel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolAssignmentTest {

    private static final Instant OLD = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant NEW = Instant.parse("2026-06-01T00:00:00Z");

    @Test
    void capTakesNodesAlreadyInThePoolFirstThenByName() {
        List<Node> nodes = List.of(
                node("a", Map.of("tier", "untrusted")),
                node("b", Map.of("tier", "untrusted")),
                node("c", withPool(Map.of("tier", "untrusted"), "sandbox")));
        PoolAssignment assignment = PoolAssignment.assign(
                List.of(new PoolAssignment.Claim("sandbox", OLD, selectLabel("tier", "untrusted"), 2, false)), nodes);

        assertEquals(Set.of("a", "c"), assignment.poolOf("sandbox").members());
    }

    @Test
    void olderPolicyWinsEvenWhenTheYoungerHoldsTheNode() {
        List<Node> nodes = List.of(node("shared", withPool(Map.of("pool", "any"), "younger")));
        PoolAssignment assignment = PoolAssignment.assign(List.of(
                new PoolAssignment.Claim("younger", NEW, selectLabel("pool", "any"), null, false),
                new PoolAssignment.Claim("older", OLD, selectLabel("pool", "any"), null, false)), nodes);

        assertEquals(Set.of("shared"), assignment.poolOf("older").members());
        assertTrue(assignment.poolOf("younger").members().isEmpty());
        assertEquals(List.of(new NodeConflict("shared", "older")), assignment.poolOf("younger").conflicts());
    }

    @Test
    void nodeOfAPolicyBeingDeletedStaysOutOfOtherPoolsUntilReleased() {
        List<Node> nodes = List.of(node("n1", withPool(Map.of("pool", "any"), "leaving")));
        PoolAssignment assignment = PoolAssignment.assign(List.of(
                new PoolAssignment.Claim("leaving", OLD, selectLabel("pool", "any"), null, true),
                new PoolAssignment.Claim("other", NEW, selectLabel("pool", "any"), null, false)), nodes);

        assertTrue(assignment.poolOf("other").members().isEmpty());
        assertEquals(List.of(new NodeConflict("n1", "leaving")), assignment.poolOf("other").conflicts());
        assertTrue(assignment.poolOf("leaving").members().isEmpty());
    }

    @Test
    void cappedOutNodesGoToTheNextPolicy() {
        List<Node> nodes = new ArrayList<>();
        for (String name : List.of("n1", "n2", "n3")) {
            nodes.add(node(name, Map.of("pool", "any")));
        }
        PoolAssignment assignment = PoolAssignment.assign(List.of(
                new PoolAssignment.Claim("first", OLD, selectLabel("pool", "any"), 1, false),
                new PoolAssignment.Claim("second", NEW, selectLabel("pool", "any"), null, false)), nodes);

        assertEquals(Set.of("n1"), assignment.poolOf("first").members());
        assertEquals(Set.of("n2", "n3"), assignment.poolOf("second").members());
    }

    @Test
    void selectorsAreEvaluatedWithFullKubernetesSemantics() {
        Map<String, String> labels = Map.of("tier", "untrusted", "zone", "a");
        assertTrue(LabelSelectors.matches(new LabelSelector(), labels), "empty selector matches everything");
        assertFalse(LabelSelectors.matches(null, labels), "absent selector matches nothing");
        assertTrue(LabelSelectors.matches(selectIn("tier", "untrusted", "gpu"), labels));
        assertFalse(LabelSelectors.matches(selectIn("tier", "trusted"), labels));
        assertTrue(LabelSelectors.matches(expression("zone", "NotIn", "b"), labels));
        assertTrue(LabelSelectors.matches(expression("zone", "Exists"), labels));
        assertFalse(LabelSelectors.matches(expression("gpu", "Exists"), labels));
        assertTrue(LabelSelectors.matches(expression("gpu", "DoesNotExist"), labels));
        assertFalse(LabelSelectors.matches(expression("zone", "Gt", "1"), labels), "unknown operators never widen the pool");
        assertEquals(List.of("spec.nodeSelector.matchExpressions[0].operator \"Gt\" is not one of In, NotIn, Exists, DoesNotExist"),
                LabelSelectors.validate(expression("zone", "Gt", "1"), "spec.nodeSelector"));
    }

    private static LabelSelector expression(String key, String operator, String... values) {
        return new LabelSelectorBuilder().addNewMatchExpression()
                .withKey(key).withOperator(operator).withValues(values).endMatchExpression().build();
    }

    private static Map<String, String> withPool(Map<String, String> labels, String policy) {
        Map<String, String> copy = new HashMap<>(labels);
        copy.put(Stockade.POOL_LABEL, policy);
        return copy;
    }
}
