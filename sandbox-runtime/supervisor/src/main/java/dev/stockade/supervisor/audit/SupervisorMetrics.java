package dev.stockade.supervisor.audit;

import dev.stockade.supervisor.listener.SandboxContainer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Prometheus counters of what the supervisor answered, in the text exposition format. */
public final class SupervisorMetrics {

    /** The labels a tripwire counter carries. */
    record TripwireKey(String policy, String namespace, String pod, String container, String syscall) {
    }

    private final Map<TripwireKey, LongAdder> tripwires = new ConcurrentHashMap<>();
    private final LongAdder emulatedUname = new LongAdder();
    private final LongAdder failedAnswers = new LongAdder();
    private final AtomicInteger containers = new AtomicInteger();

    public void tripwire(SandboxContainer container, String syscall) {
        tripwires.computeIfAbsent(new TripwireKey(container.policy(), container.namespace(), container.pod(),
                container.container().isEmpty() ? container.id() : container.container(), syscall),
                key -> new LongAdder()).increment();
    }

    public void emulatedUname() {
        emulatedUname.increment();
    }

    public void failedAnswer() {
        failedAnswers.increment();
    }

    public void containerAdded() {
        containers.incrementAndGet();
    }

    public void containerRemoved() {
        containers.decrementAndGet();
    }

    public String render() {
        StringBuilder out = new StringBuilder();
        out.append("# HELP stockade_supervisor_tripwire_total Tripwire syscalls denied with EPERM.\n");
        out.append("# TYPE stockade_supervisor_tripwire_total counter\n");
        List<Map.Entry<TripwireKey, LongAdder>> sorted = tripwires.entrySet().stream()
                .sorted(Map.Entry.comparingByKey(java.util.Comparator.comparing(TripwireKey::toString))).toList();
        for (Map.Entry<TripwireKey, LongAdder> entry : sorted) {
            TripwireKey key = entry.getKey();
            out.append("stockade_supervisor_tripwire_total{policy=\"").append(escape(key.policy()))
                    .append("\",namespace=\"").append(escape(key.namespace()))
                    .append("\",pod=\"").append(escape(key.pod()))
                    .append("\",container=\"").append(escape(key.container()))
                    .append("\",syscall=\"").append(escape(key.syscall()))
                    .append("\"} ").append(entry.getValue().sum()).append('\n');
        }
        out.append("# HELP stockade_supervisor_uname_emulated_total uname calls answered with the profile's kernel identity.\n");
        out.append("# TYPE stockade_supervisor_uname_emulated_total counter\n");
        out.append("stockade_supervisor_uname_emulated_total ").append(emulatedUname.sum()).append('\n');
        out.append("# HELP stockade_supervisor_failed_answers_total Notifications that could not be answered (target gone, bad memory).\n");
        out.append("# TYPE stockade_supervisor_failed_answers_total counter\n");
        out.append("stockade_supervisor_failed_answers_total ").append(failedAnswers.sum()).append('\n');
        out.append("# HELP stockade_supervisor_containers Containers whose notifications this supervisor answers.\n");
        out.append("# TYPE stockade_supervisor_containers gauge\n");
        out.append("stockade_supervisor_containers ").append(containers.get()).append('\n');
        return out.toString();
    }

    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
