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
 * Runs one blocking API call per item on virtual threads, at most {@code concurrency} at a time:
 * fencing 4000 nodes one patch after another takes minutes on a real API server, in parallel
 * seconds. The API server's priority and fairness still bounds what it accepts.
 */
public final class BoundedParallel {

    /**
     * @return the results in the order of {@code items}
     * @throws RuntimeException the first failure (in item order), after every call has ended
     */
    public static <T, R> List<R> map(List<T> items, int concurrency, Function<T, R> call) {
        if (items.size() <= 1 || concurrency <= 1) {
            return items.stream().map(call).toList();
        }
        Semaphore permits = new Semaphore(concurrency);
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

    private BoundedParallel() {
    }
}
