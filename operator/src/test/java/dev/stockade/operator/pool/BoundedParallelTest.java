package dev.stockade.operator.pool;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedParallelTest {

    @Test
    void resultsKeepTheOrderOfTheItemsAndNoMoreThanTheBoundRunAtOnce() {
        InFlight inFlight = new InFlight();
        List<Integer> items = IntStream.range(0, 200).boxed().toList();

        List<Integer> doubled = new BoundedParallel(8).map(items, inFlight.counting(i -> i * 2));

        assertEquals(items.stream().map(i -> i * 2).toList(), doubled);
        assertTrue(inFlight.most.get() <= 8, "at most 8 at once, saw " + inFlight.most.get());
        assertTrue(inFlight.most.get() > 1, "calls overlapped");
    }

    @Test
    void theBoundHoldsOverEveryCallerOfOneInstance() {
        // Four reconciles (the SDK's reconcile threads) fencing their pools at once share one bound.
        BoundedParallel shared = new BoundedParallel(6);
        InFlight inFlight = new InFlight();
        List<Integer> items = IntStream.range(0, 100).boxed().toList();

        List<CompletableFuture<List<Integer>>> callers = IntStream.range(0, 4)
                .mapToObj(c -> CompletableFuture.supplyAsync(() -> shared.map(items, inFlight.counting(i -> i + c))))
                .toList();

        for (int c = 0; c < callers.size(); c++) {
            int offset = c;
            assertEquals(items.stream().map(i -> i + offset).toList(), callers.get(c).join());
        }
        assertTrue(inFlight.most.get() <= 6, "at most 6 at once over 4 callers, saw " + inFlight.most.get());
        assertTrue(inFlight.most.get() > 1, "calls overlapped");
    }

    @Test
    void theFirstFailureIsRethrownAfterEveryCallEnded() {
        AtomicInteger done = new AtomicInteger();

        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> new BoundedParallel(2).map(List.of(1, 2, 3, 4), i -> {
            done.incrementAndGet();
            if (i % 2 == 0) {
                throw new IllegalStateException("node " + i + ": 403 Forbidden");
            }
            return i;
        }));

        assertEquals("node 2: 403 Forbidden", failure.getMessage());
        assertEquals(4, done.get());
    }

    @Test
    void aBoundBelowOneIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> new BoundedParallel(0));
        assertEquals("concurrency must be at least 1, was 0", refused.getMessage());
    }

    /** Counts the calls running at once, each taking 2 ms. */
    private static final class InFlight {
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();

        <T, R> Function<T, R> counting(Function<T, R> call) {
            return item -> {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                } finally {
                    running.decrementAndGet();
                }
                return call.apply(item);
            };
        }
    }
}
