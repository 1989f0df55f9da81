package dev.stockade.installer.metrics;

import dev.stockade.api.node.NodeMetrics;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.installer.Installer;

import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The node's Prometheus series as the installer serves them: its own (phase, starts of the node's
 * daemons, whether each answered this scrape), then what the supervisor and the spec server serve
 * on their sockets ({@link NodeMetrics}). Names follow https://prometheus.io/docs/practices/naming/;
 * the scrape configuration adds the node as a target label.
 */
public final class NodeMetricsView {

    private final String policy;
    private final Function<String, Optional<String>> readSocket;
    private final LongAdder supervisorStarts = new LongAdder();
    private final LongAdder specServerStarts = new LongAdder();
    private volatile NodeRuntimeStatus.Phase phase = NodeRuntimeStatus.Phase.Installing;
    private volatile boolean installed;
    private volatile boolean supervisorNeeded;

    /**
     * @param readSocket reads one of the {@link NodeMetrics} sockets by its host path; empty when
     *     nothing answers there
     */
    public NodeMetricsView(String policy, Function<String, Optional<String>> readSocket) {
        this.policy = policy;
        this.readSocket = readSocket;
    }

    /** A pass installed and verified the runtime. */
    public void installed(Installer.InstallResult result) {
        if (result.started().contains(Installer.Daemon.SUPERVISOR)) {
            supervisorStarts.increment();
        }
        if (result.started().contains(Installer.Daemon.SPEC_SERVER)) {
            specServerStarts.increment();
        }
        supervisorNeeded = result.supervisorNeeded();
        installed = true;
        phase = NodeRuntimeStatus.Phase.Ready;
    }

    public void failed() {
        phase = NodeRuntimeStatus.Phase.Failed;
    }

    /** Removing or Removed: the daemons are stopped on purpose, so their up gauges are no longer reported. */
    public void removing(NodeRuntimeStatus.Phase removalPhase) {
        installed = false;
        phase = removalPhase;
    }

    /** The exposition text of one scrape; the daemons' sockets are read now. */
    public String render() {
        StringBuilder out = new StringBuilder();
        NodeMetrics.header(out, "stockade_installer_phase", "gauge",
                "1 for the phase this node's installer is in (Installing, Ready, Failed, Removing, Removed), 0 for the others.");
        for (NodeRuntimeStatus.Phase each : NodeRuntimeStatus.Phase.values()) {
            out.append("stockade_installer_phase{policy=\"").append(NodeMetrics.escapeLabelValue(policy))
                    .append("\",phase=\"").append(each.name())
                    .append("\"} ").append(each == phase ? 1 : 0).append('\n');
        }
        NodeMetrics.header(out, "stockade_supervisor_starts_total", "counter",
                "Times the installer started the node's seccomp supervisor because none was running, or handed over to a new one.");
        out.append("stockade_supervisor_starts_total ").append(supervisorStarts.sum()).append('\n');
        NodeMetrics.header(out, "stockade_spec_server_starts_total", "counter",
                "Times the installer started the node's spec server because none of this release was serving.");
        out.append("stockade_spec_server_starts_total ").append(specServerStarts.sum()).append('\n');
        if (installed && supervisorNeeded) {
            daemon(out, "stockade_supervisor_up", NodeMetrics.SUPERVISOR_SOCKET,
                    "1 when the node's seccomp supervisor answered this scrape; while it is down, sandboxed containers with kernel "
                            + "identity or tripwires cannot start and running ones get EPERM for their notified syscalls.");
        }
        if (installed) {
            daemon(out, "stockade_spec_server_up", NodeMetrics.SPEC_SERVER_SOCKET,
                    "1 when the node's resident spec server answered this scrape; while it is down, every create starts its own JVM.");
        }
        return out.toString();
    }

    private void daemon(StringBuilder out, String upName, String socket, String help) {
        Optional<String> series = readSocket.apply(socket);
        NodeMetrics.header(out, upName, "gauge", help);
        out.append(upName).append(' ').append(series.isPresent() ? 1 : 0).append('\n');
        series.ifPresent(text -> out.append(text.endsWith("\n") || text.isEmpty() ? text : text + "\n"));
    }

}
