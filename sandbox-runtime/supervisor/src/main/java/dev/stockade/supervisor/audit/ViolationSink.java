package dev.stockade.supervisor.audit;

/** Where denied calls are reported besides the metrics (the log, Kubernetes Events). */
public interface ViolationSink {

    /**
     * Called for the first violation of a kind and then at most once per interval; {@code suppressed}
     * counts the identical violations since the last call. Must not block the notification thread.
     */
    void report(Violation violation, long suppressed);
}
