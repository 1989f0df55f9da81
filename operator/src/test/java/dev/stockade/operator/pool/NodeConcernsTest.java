package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.stockade.operator.Fixtures.node;
import static dev.stockade.operator.Fixtures.selectLabel;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A node change wakes the policies whose pool it can change, and no other. */
class NodeConcernsTest {

    private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
    /** 20 policies, each selecting its own group, as in the scale benchmark. */
    private static final List<PoolAssignment.Claim> GROUPS = java.util.stream.IntStream.range(0, 20)
            .mapToObj(i -> new PoolAssignment.Claim("p" + i, CREATED, selectLabel("group", "g" + i), null, false)).toList();

    @Test
    void anInstallerReportWakesOnlyThePolicyThatHoldsTheNode() {
        NodeConcerns concerns = new NodeConcerns();
        var held = node("n1", Map.of("group", "g3", Stockade.POOL_LABEL, "p3"));
        assertEquals(Set.of("p3"), concerns.wake(held, GROUPS));
        held.getMetadata().setAnnotations(Map.of("stockade.dev/runtime-status", "{\"phase\":\"Ready\"}"));
        assertEquals(Set.of("p3"), concerns.wake(held, GROUPS));
    }

    @Test
    void aNodeThatLeavesASelectorAndAPoolStillWakesThePolicyItLeft() {
        NodeConcerns concerns = new NodeConcerns();
        concerns.wake(node("n1", Map.of("group", "g3", Stockade.POOL_LABEL, "p3")), GROUPS);
        assertEquals(Set.of("p3", "p4"), concerns.wake(node("n1", Map.of("group", "g4", Stockade.POOL_LABEL, "p3")), GROUPS),
                "p3 holds it, p4 now selects it");
        assertEquals(Set.of("p3", "p4"), concerns.wake(node("n1", Map.of("group", "g4")), GROUPS),
                "p3 released it and must see that; p4 may now take it");
        assertEquals(Set.of("p4"), concerns.wake(node("n1", Map.of("group", "g4")), GROUPS));
    }

    @Test
    void aNodeNoPolicySelectsWakesNone() {
        assertEquals(Set.of(), new NodeConcerns().wake(node("other", Map.of("group", "none")), GROUPS));
    }

    @Test
    void nodesThatAreGoneAreForgotten() {
        NodeConcerns concerns = new NodeConcerns();
        concerns.wake(node("gone", Map.of("group", "g1")), GROUPS);
        concerns.forgetAllBut(Set.of("kept"));
        assertEquals(Set.of(), concerns.wake(node("gone", Map.of("group", "none")), GROUPS), "nothing is remembered of a forgotten node");
    }
}
