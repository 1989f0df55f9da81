package dev.stockade.supervisor.audit;

import dev.stockade.supervisor.listener.SandboxContainer;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SupervisorMetricsTest {

    static final SandboxContainer MINER = ViolationRecorderTest.MINER;
    static final String MINER_MOUNT = "stockade_supervisor_tripwire_total{policy=\"tenants\",namespace=\"team-a\","
            + "pod=\"miner-7\",container=\"app\",syscall=\"mount\"} ";

    @Test
    void aGoneContainersTripwiresStayForSeveralScrapesThenGo() {
        AtomicLong now = new AtomicLong(1);
        SupervisorMetrics metrics = new SupervisorMetrics(now::get);
        metrics.tripwire(MINER, "mount");
        metrics.containerGone(MINER);
        now.addAndGet(SupervisorMetrics.GONE_RETENTION.toNanos() - 1);
        assertTrue(metrics.render().contains(MINER_MOUNT + "1\n"), "a scrape soon after the pod went still sees its last hit");
        now.addAndGet(2);
        assertFalse(metrics.render().contains("miner-7"), "pod churn must not grow the series without end:\n" + metrics.render());
    }

    @Test
    void aRestartedContainerOfTheSamePodKeepsItsSeries() {
        AtomicLong now = new AtomicLong(1);
        SupervisorMetrics metrics = new SupervisorMetrics(now::get);
        metrics.tripwire(MINER, "mount");
        metrics.containerGone(MINER);
        metrics.tripwire(new SandboxContainer("c-2", 43, "tenants", "sandboxed", "team-a", "miner-7", "app", null, "miner-7", "(none)"),
                "mount");
        now.addAndGet(SupervisorMetrics.GONE_RETENTION.toNanos() * 2);
        assertTrue(metrics.render().contains(MINER_MOUNT + "2\n"), metrics.render());
    }

    @Test
    void everySeriesHasHelpAndTypeAndCountersEndInTotal() {
        String text = new SupervisorMetrics().render();
        for (String name : new String[] {"stockade_supervisor_notifications_total", "stockade_supervisor_throttled_total",
                "stockade_supervisor_uname_emulated_total", "stockade_supervisor_failed_answers_total"}) {
            assertTrue(text.contains("# TYPE " + name + " counter\n" + name + " 0\n"), text);
            assertTrue(text.contains("# HELP " + name + " "), text);
        }
        assertTrue(text.contains("# TYPE stockade_supervisor_containers gauge\nstockade_supervisor_containers 0\n"), text);
    }
}
