package dev.stockade.supervisor.audit;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts every violation in the metrics and passes it on to the sinks rate-limited per container
 * and syscall: the first one at once, then at most one per interval with the number suppressed,
 * so a container hammering mount(2) cannot flood the log or the API server.
 */
public final class ViolationRecorder {

    private record Key(String containerId, String syscall) {
    }

    private static final class Window {
        long lastReportNanos;
        long suppressed;
    }

    private final SupervisorMetrics metrics;
    private final List<ViolationSink> sinks;
    private final long intervalNanos;
    private final Map<Key, Window> windows = new ConcurrentHashMap<>();

    public ViolationRecorder(SupervisorMetrics metrics, List<ViolationSink> sinks, long intervalNanos) {
        this.metrics = metrics;
        this.sinks = List.copyOf(sinks);
        this.intervalNanos = intervalNanos;
    }

    public void record(Violation violation, long nowNanos) {
        metrics.tripwire(violation.container(), violation.syscall());
        Window window = windows.computeIfAbsent(new Key(violation.container().id(), violation.syscall()), key -> {
            Window fresh = new Window();
            fresh.lastReportNanos = nowNanos - intervalNanos;
            return fresh;
        });
        long suppressed;
        synchronized (window) {
            if (nowNanos - window.lastReportNanos < intervalNanos) {
                window.suppressed++;
                return;
            }
            suppressed = window.suppressed;
            window.suppressed = 0;
            window.lastReportNanos = nowNanos;
        }
        for (ViolationSink sink : sinks) {
            sink.report(violation, suppressed);
        }
    }

    /** Forgets a container's windows when it is gone. */
    public void forget(String containerId) {
        windows.keySet().removeIf(key -> key.containerId().equals(containerId));
    }
}
