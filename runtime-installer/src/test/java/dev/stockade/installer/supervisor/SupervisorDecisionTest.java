package dev.stockade.installer.supervisor;

import org.junit.jupiter.api.Test;

import static dev.stockade.installer.supervisor.SupervisorDecision.HAND_OVER;
import static dev.stockade.installer.supervisor.SupervisorDecision.KEEP;
import static dev.stockade.installer.supervisor.SupervisorDecision.NONE;
import static dev.stockade.installer.supervisor.SupervisorDecision.START;
import static dev.stockade.installer.supervisor.SupervisorDecision.decide;
import static org.junit.jupiter.api.Assertions.assertEquals;

class SupervisorDecisionTest {

    @Test
    void startsOnlyWhenAProfileNeedsItAndNoneAnswers() {
        assertEquals(START, decide(true, false, false));
        assertEquals(START, decide(true, false, true), "a new release with no supervisor yet: a plain start");
        assertEquals(NONE, decide(false, false, false), "no profile needs it: no root daemon on the node");
        assertEquals(NONE, decide(false, false, true));
    }

    @Test
    void keepsARunningSupervisorAndHandsOverOnANewRelease() {
        assertEquals(KEEP, decide(true, true, false));
        assertEquals(KEEP, decide(false, true, false), "containers created while it was needed may still hold notifications with it");
        assertEquals(HAND_OVER, decide(true, true, true));
        assertEquals(HAND_OVER, decide(false, true, true), "a running supervisor is kept current");
    }
}
