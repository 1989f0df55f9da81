package dev.stockade.supervisor.audit;

import dev.stockade.api.node.NodeMetrics;
import dev.stockade.supervisor.listener.SandboxContainer;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Prometheus series of what the supervisor answered, in the text exposition format (names and
 * labels after https://prometheus.io/docs/practices/naming/). The installer reads them through
 * {@code dev.stockade.api.node.NodeMetrics} and serves them off the node behind authentication.
 */
public final class SupervisorMetrics {

    /**
     * How long a gone container's tripwire series stay: long enough for several scrapes to see a
     * last increment, short enough that pod churn does not grow the series without end.
     */
    static final Duration GONE_RETENTION = Duration.ofMinutes(15);

    /** The labels a tripwire counter carries: the sandboxed pod's identity, never a container id alone when a name is known. */
    record TripwireKey(String policy, String namespace, String pod, String container, String syscall) {
        static TripwireKey of(SandboxContainer container, String syscall) {
            return new TripwireKey(container.policy(), container.namespace(), container.pod(),
                    container.container().isEmpty() ? container.id() : container.container(), syscall);
        }

        boolean sameContainer(TripwireKey other) {
            return policy.equals(other.policy) && namespace.equals(other.namespace) && pod.equals(other.pod)
                    && container.equals(other.container);
        }
    }

    private static final class Tripwire {
        final LongAdder count = new LongAdder();
        /** When the container went (System.nanoTime), or 0 while it runs. */
        volatile long goneSinceNanos;
    }

    private final Map<TripwireKey, Tripwire> tripwires = new ConcurrentHashMap<>();
    private final LongAdder notifications = new LongAdder();
    private final LongAdder throttled = new LongAdder();
    private final LongAdder emulatedUname = new LongAdder();
    private final LongAdder failedAnswers = new LongAdder();
    private final LongAdder refusedContainers = new LongAdder();
    private final AtomicInteger containers = new AtomicInteger();
    private final LongSupplier clock;

    public SupervisorMetrics() {
        this(System::nanoTime);
    }

    SupervisorMetrics(LongSupplier clock) {
        this.clock = clock;
    }

    public void tripwire(SandboxContainer container, String syscall) {
        Tripwire tripwire = tripwires.computeIfAbsent(TripwireKey.of(container, syscall), key -> new Tripwire());
        tripwire.goneSinceNanos = 0;
        tripwire.count.increment();
    }

    public void notificationReceived() {
        notifications.increment();
    }

    public void throttled() {
        throttled.increment();
    }

    public void emulatedUname() {
        emulatedUname.increment();
    }

    public void failedAnswer() {
        failedAnswers.increment();
    }

    public void refusedContainer() {
        refusedContainers.increment();
    }

    public void containerAdded() {
        containers.incrementAndGet();
    }

    public void containerRemoved() {
        containers.decrementAndGet();
    }

    /** The container has no task left: its tripwire series go after {@link #GONE_RETENTION}. */
    public void containerGone(SandboxContainer container) {
        TripwireKey gone = TripwireKey.of(container, "");
        long now = clock.getAsLong();
        tripwires.forEach((key, tripwire) -> {
            if (key.sameContainer(gone)) {
                tripwire.goneSinceNanos = now == 0 ? 1 : now;
            }
        });
    }

    public String render() {
        long now = clock.getAsLong();
        tripwires.values().removeIf(t -> t.goneSinceNanos != 0 && now - t.goneSinceNanos > GONE_RETENTION.toNanos());
        StringBuilder out = new StringBuilder();
        NodeMetrics.header(out, "stockade_supervisor_tripwire_total", "counter",
                "Tripwire syscalls (escape attempts) a sandboxed container called; each was denied with EPERM.");
        List<Map.Entry<TripwireKey, Tripwire>> sorted = tripwires.entrySet().stream()
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(TripwireKey::toString))).toList();
        for (Map.Entry<TripwireKey, Tripwire> entry : sorted) {
            TripwireKey key = entry.getKey();
            out.append("stockade_supervisor_tripwire_total{policy=\"").append(NodeMetrics.escapeLabelValue(key.policy()))
                    .append("\",namespace=\"").append(NodeMetrics.escapeLabelValue(key.namespace()))
                    .append("\",pod=\"").append(NodeMetrics.escapeLabelValue(key.pod()))
                    .append("\",container=\"").append(NodeMetrics.escapeLabelValue(key.container()))
                    .append("\",syscall=\"").append(NodeMetrics.escapeLabelValue(key.syscall()))
                    .append("\"} ").append(entry.getValue().count.sum()).append('\n');
        }
        sample(out, "stockade_supervisor_notifications_total", "counter",
                "Seccomp notifications received from sandboxed containers.", notifications.sum());
        sample(out, "stockade_supervisor_throttled_total", "counter",
                "Notifications answered late because their container exceeded its per-second budget.", throttled.sum());
        sample(out, "stockade_supervisor_uname_emulated_total", "counter",
                "uname calls answered with the profile's kernel identity.", emulatedUname.sum());
        sample(out, "stockade_supervisor_failed_answers_total", "counter",
                "Notifications that could not be answered (the caller was gone or its memory unreadable).", failedAnswers.sum());
        sample(out, "stockade_supervisor_refused_containers_total", "counter",
                "Containers this supervisor could not answer (--max-containers reached, malformed listener message); each one's init was killed.",
                refusedContainers.sum());
        sample(out, "stockade_supervisor_containers", "gauge",
                "Containers whose notifications this supervisor answers.", containers.get());
        return out.toString();
    }

    private static void sample(StringBuilder out, String name, String type, String help, long value) {
        NodeMetrics.header(out, name, type, help);
        out.append(name).append(' ').append(value).append('\n');
    }
}
