package dev.stockade.runtime.server;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What bin/stockade-runtime reads from its reply pipe: only these two shapes are answers. */
class SpecServerAnswerTest {

    @Test
    void checkedIsAZeroAlone() {
        assertEquals("0\n", SpecServer.encode(0, ""));
    }

    @Test
    void aRefusalCountsItsLinesSoThatTheLauncherKnowsItHasAllOfThem() {
        assertEquals("1 1\nstockade: container c refused: mounts[0]: host path / (rule host-mount)\n",
                SpecServer.encode(1, "stockade: container c refused: mounts[0]: host path / (rule host-mount)\n"));
        assertEquals("1 2\nfirst\n  second\n", SpecServer.encode(1, "first\n  second\n\n"));
        assertEquals("1 0\n", SpecServer.encode(1, ""));
    }

    @Test
    void anyOtherStatusIsNoAnswer() {
        assertEquals(SpecServer.FALLBACK, SpecServer.encode(2, "stockade: something else"));
        assertEquals(SpecServer.FALLBACK, SpecServer.encode(-1, ""));
    }
}
