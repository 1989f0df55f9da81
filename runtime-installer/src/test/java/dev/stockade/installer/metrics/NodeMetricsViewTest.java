package dev.stockade.installer.metrics;

import dev.stockade.api.node.NodeMetrics;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.installer.Installer;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeMetricsViewTest {

    final Map<String, String> sockets = new HashMap<>();
    final NodeMetricsView view = new NodeMetricsView("untrusted", socket -> Optional.ofNullable(sockets.get(socket)));

    static Installer.InstallResult installed(boolean supervisorNeeded, Set<Installer.Daemon> started) {
        return new Installer.InstallResult("1.0", "r1", List.of("stockade-sandboxed"), Map.of(), List.of(), false, "supervisor …",
                "spec server …", supervisorNeeded, started, List.of());
    }

    @Test
    void beforeTheFirstInstallOnlyThePhaseIsReported() {
        String text = view.render();
        assertTrue(text.contains("stockade_installer_phase{policy=\"untrusted\",phase=\"Installing\"} 1\n"), text);
        assertTrue(text.contains("stockade_installer_phase{policy=\"untrusted\",phase=\"Ready\"} 0\n"), text);
        assertFalse(text.contains("_up "), "daemons not started yet are not down:\n" + text);
    }

    @Test
    void aReadyNodeReportsEachDaemonItNeedsAndWhatItServes() {
        sockets.put(NodeMetrics.SUPERVISOR_SOCKET, "stockade_supervisor_tripwire_total{pod=\"miner\"} 2\n");
        view.installed(installed(true, Set.of(Installer.Daemon.SUPERVISOR, Installer.Daemon.SPEC_SERVER)));
        view.installed(installed(true, Set.of()));
        String text = view.render();
        assertTrue(text.contains("stockade_installer_phase{policy=\"untrusted\",phase=\"Ready\"} 1\n"), text);
        assertTrue(text.contains("stockade_supervisor_up 1\nstockade_supervisor_tripwire_total{pod=\"miner\"} 2\n"), text);
        assertTrue(text.contains("stockade_spec_server_up 0\n"), "the spec server's socket did not answer:\n" + text);
        assertTrue(text.contains("stockade_supervisor_starts_total 1\n") && text.contains("stockade_spec_server_starts_total 1\n"), text);
    }

    @Test
    void aNodeWhoseProfilesNeedNoSupervisorDoesNotReportItDown() {
        view.installed(installed(false, Set.of()));
        assertFalse(view.render().contains("stockade_supervisor_up"), view.render());
    }

    @Test
    void aNodeBeingRemovedNoLongerReportsItsStoppedDaemons() {
        view.installed(installed(true, Set.of()));
        view.removing(NodeRuntimeStatus.Phase.Removed);
        String text = view.render();
        assertTrue(text.contains("phase=\"Removed\"} 1\n"), text);
        assertFalse(text.contains("_up "), text);
    }
}
