package dev.stockade.operator.pool;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedParallelTest {

    @Test
    void resultsKeepTheOrderOfTheItemsAndNoMoreThanTheBoundRunAtOnce() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        List<Integer> items = IntStream.range(0, 200).boxed().toList();

        List<Integer> doubled = BoundedParallel.map(items, 8, i -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            running.decrementAndGet();
            return i * 2;
        });

        assertEquals(items.stream().map(i -> i * 2).toList(), doubled);
        assertTrue(most.get() <= 8, "at most 8 at once, saw " + most.get());
        assertTrue(most.get() > 1, "calls overlapped");
    }

    @Test
    void theFirstFailureIsRethrownAfterEveryCallEnded() {
        AtomicInteger done = new AtomicInteger();

        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> BoundedParallel.map(List.of(1, 2, 3, 4), 2, i -> {
            done.incrementAndGet();
            if (i % 2 == 0) {
                throw new IllegalStateException("node " + i + ": 403 Forbidden");
            }
            return i;
        }));

        assertEquals("node 2: 403 Forbidden", failure.getMessage());
        assertEquals(4, done.get());
    }
}
