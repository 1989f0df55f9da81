package dev.stockade.api.node;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodePatchTest {

    private static final Map<String, Object> GUARD_7 = Map.of("op", "replace", "path", "/metadata/resourceVersion", "value", "7");

    @Test
    void guardsWithTheResourceVersionAndTouchesOnlyTheChangedKeys() {
        List<Map<String, Object>> ops = NodePatch.of("7", Map.of("team", "blue", "stockade.dev/pool", "old"),
                        Map.of("owner.example/x", "1"), null)
                .setLabel("stockade.dev/pool", "sandbox")
                .setAnnotation("stockade.dev/runtime-status", "{}")
                .operations().orElseThrow();

        assertEquals(List.of(GUARD_7,
                Map.of("op", "add", "path", "/metadata/labels/stockade.dev~1pool", "value", "sandbox"),
                Map.of("op", "add", "path", "/metadata/annotations/stockade.dev~1runtime-status", "value", "{}")), ops);
    }

    @Test
    void aMissingOrEmptyMapIsAddedWhole() {
        for (Map<String, String> none : java.util.Arrays.<Map<String, String>>asList(null, Map.of())) {
            List<Map<String, Object>> ops = NodePatch.of("3", none, none, List.of())
                    .setLabel("stockade.dev/runtime-ready", "p")
                    .operations().orElseThrow();

            assertEquals(List.of(Map.of("op", "replace", "path", "/metadata/resourceVersion", "value", "3"),
                    Map.of("op", "add", "path", "/metadata/labels", "value", Map.of("stockade.dev/runtime-ready", "p"))), ops);
        }
    }

    @Test
    void removalOfAnOwnedValueLeavesAnotherOwnersValue() {
        NodePatch patch = NodePatch.of("7", Map.of("stockade.dev/pool", "other"), Map.of(), List.of())
                .removeLabel("stockade.dev/pool", "mine");

        assertTrue(patch.operations().isEmpty(), "another policy's pool label is not ours to remove");
        assertEquals(List.of(GUARD_7, Map.of("op", "remove", "path", "/metadata/labels/stockade.dev~1pool")),
                NodePatch.of("7", Map.of("stockade.dev/pool", "mine"), Map.of(), List.of())
                        .removeLabel("stockade.dev/pool", "mine").operations().orElseThrow());
    }

    @Test
    void taintsAreWrittenAsOneListAndOnlyWhenTheyChange() {
        Map<String, String> gpu = Map.of("key", "example.com/gpu", "effect", "NoSchedule");
        Map<String, String> ours = Map.of("key", "stockade.dev/sandbox", "value", "p", "effect", "NoSchedule");

        assertTrue(NodePatch.of("7", null, null, List.of(gpu)).taints(List.of(gpu)).operations().isEmpty());
        assertEquals(List.of(GUARD_7, Map.of("op", "add", "path", "/spec/taints", "value", List.of(gpu, ours))),
                NodePatch.of("7", null, null, List.of(gpu)).taints(List.of(gpu, ours)).operations().orElseThrow());
    }

    @Test
    void keysAreEscapedAsJsonPointerTokens() {
        assertEquals("a~1b~0c", NodePatch.escape("a/b~c"));
        assertEquals("[{\"op\":\"replace\",\"path\":\"/metadata/resourceVersion\",\"value\":\"7\"},"
                        + "{\"op\":\"remove\",\"path\":\"/metadata/annotations/x~1y\"}]",
                NodePatch.of("7", null, Map.of("x/y", "1"), null).removeAnnotation("x/y").toJson().orElseThrow());
    }

    @Test
    void aPatchWithoutAResourceVersionIsRefused() {
        assertThrows(NullPointerException.class, () -> NodePatch.of(null, Map.of(), Map.of(), List.of()));
    }
}
