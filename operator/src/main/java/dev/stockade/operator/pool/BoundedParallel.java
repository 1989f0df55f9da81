package dev.stockade.operator.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * Runs one blocking API call per item on virtual threads, at most {@code concurrency} at a time
 * across every caller of this instance: fencing 4000 nodes one patch after another takes minutes
 * on a real API server, in parallel seconds. One instance serves every reconcile, so 20 policies
 * fencing at once put no more patches in flight than one (before, each reconcile had its own
 * bound, and 4 reconcile threads sent 4 times as many). The API server's priority and fairness
 * still bounds what it accepts.
 */
public final class BoundedParallel {

    private final Semaphore permits;

    /** @param concurrency calls in flight at once over all {@link #map} calls, at least 1 */
    public BoundedParallel(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
        }
        this.permits = new Semaphore(concurrency);
    }

    /**
     * @return the results in the order of {@code items}
     * @throws RuntimeException the first failure (in item order), after every call has ended
     */
    public <T, R> List<R> map(List<T> items, Function<T, R> call) {
        if (items.isEmpty()) {
            return List.of();
        }
        List<Future<R>> futures = new ArrayList<>(items.size());
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (T item : items) {
                futures.add(threads.submit(() -> {
                    permits.acquire();
                    try {
                        return call.apply(item);
                    } finally {
                        permits.release();
                    }
                }));
            }
        }
        List<R> results = new ArrayList<>(items.size());
        for (Future<R> future : futures) {
            try {
                results.add(future.get());
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while writing nodes", e);
            }
        }
        return results;
    }
}
