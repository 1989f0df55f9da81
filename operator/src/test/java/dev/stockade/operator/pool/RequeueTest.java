package dev.stockade.operator.pool;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RequeueTest {

    @Test
    void aSettledPoolIsLookedAtRarely() {
        assertEquals(Requeue.SETTLED, Requeue.after(0, 0));
        assertEquals(java.time.Duration.ofMinutes(5), Requeue.SETTLED);
    }

    @Test
    void aRemovalOrAHandoverIsLookedAtAgainWithoutAnEvent() {
        assertEquals(Requeue.WHILE_HANDING_OVER, Requeue.after(1, 0), "the removal timeout passes without a write");
        assertEquals(Requeue.WHILE_HANDING_OVER, Requeue.after(0, 3), "another policy still holds nodes");
    }
}
