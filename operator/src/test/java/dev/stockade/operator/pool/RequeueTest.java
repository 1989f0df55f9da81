package dev.stockade.operator.pool;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RequeueTest {

    @Test
    void aSettledPoolWaitsForEventsOnly() {
        assertEquals(Optional.empty(), Requeue.after(0, 0));
    }

    @Test
    void aRemovalOrAHandoverIsLookedAtAgainWithoutAnEvent() {
        assertEquals(Optional.of(Requeue.WHILE_HANDING_OVER), Requeue.after(1, 0), "the removal timeout passes without a write");
        assertEquals(Optional.of(Requeue.WHILE_HANDING_OVER), Requeue.after(0, 3), "another policy still holds nodes");
    }
}
