package dev.stockade.supervisor.notify;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NotificationBudgetTest {

    @Test
    void aBurstPassesThenTheContainerWaitsForTheRate() {
        NotificationBudget budget = new NotificationBudget(1000, 3, 0);
        assertEquals(0, budget.take(0));
        assertEquals(0, budget.take(0));
        assertEquals(0, budget.take(0));
        long wait = budget.take(0);
        assertEquals(1_000_000, wait, "one token per millisecond at 1000/s");
        assertEquals(0, budget.take(wait));
        assertTrue(budget.take(wait) > 0);
    }

    @Test
    void idleTimeRefillsOnlyUpToTheBurst() {
        NotificationBudget budget = new NotificationBudget(1000, 2, 0);
        long later = 60_000_000_000L;
        assertEquals(0, budget.take(later));
        assertEquals(0, budget.take(later));
        assertTrue(budget.take(later) > 0);
    }

    @Test
    void nonsenseLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new NotificationBudget(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new NotificationBudget(10, 0.5, 0));
    }
}
