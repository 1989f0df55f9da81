package dev.stockade.supervisor.audit;

import dev.stockade.supervisor.listener.SandboxContainer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ViolationRecorderTest {

    static final SandboxContainer MINER = new SandboxContainer("c-1", 42, "tenants", "sandboxed", "team-a", "miner-7", "app",
            null, "miner-7", "(none)");
    static final long SECOND = 1_000_000_000L;

    @Test
    void everyCallIsCountedButReportedAtMostOncePerInterval() {
        SupervisorMetrics metrics = new SupervisorMetrics();
        List<String> reports = new ArrayList<>();
        ViolationRecorder recorder = new ViolationRecorder(metrics,
                List.of((violation, suppressed) -> reports.add(violation.syscall() + ":" + suppressed)), 10 * SECOND);
        for (int i = 0; i < 1000; i++) {
            recorder.record(new Violation(MINER, 42, "mount"), i * 1_000_000L);
        }
        recorder.record(new Violation(MINER, 42, "keyctl"), 0);
        recorder.record(new Violation(MINER, 42, "mount"), 11 * SECOND);
        assertEquals(List.of("mount:0", "keyctl:0", "mount:999"), reports);
        assertTrue(metrics.render().contains("stockade_supervisor_tripwire_total{policy=\"tenants\",namespace=\"team-a\","
                + "pod=\"miner-7\",container=\"app\",syscall=\"mount\"} 1001\n"), metrics.render());
    }

    @Test
    void labelValuesAreEscaped() {
        SupervisorMetrics metrics = new SupervisorMetrics();
        metrics.tripwire(new SandboxContainer("c", 1, "p\"x", "", "", "", "", null, "", ""), "bpf");
        assertTrue(metrics.render().contains("policy=\"p\\\"x\""), metrics.render());
        assertTrue(metrics.render().contains("container=\"c\""), "a container without a name is labelled by its id");
    }

    @Test
    void theLogLineNamesWhoTriedWhat() {
        String line = LogViolationSink.line(new Violation(MINER, 4242, "bpf"), 3);
        assertEquals("{\"event\":\"SandboxViolation\",\"action\":\"denied\",\"errno\":\"EPERM\",\"syscall\":\"bpf\",\"pid\":4242,"
                + "\"policy\":\"tenants\",\"runtimeClass\":\"sandboxed\",\"namespace\":\"team-a\",\"pod\":\"miner-7\","
                + "\"container\":\"app\",\"containerId\":\"c-1\",\"suppressedSinceLast\":3}", line);
    }
}
