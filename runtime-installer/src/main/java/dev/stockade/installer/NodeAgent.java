package dev.stockade.installer;

import dev.stockade.api.node.NodeMetrics;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.api.status.RemovalRequest;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.metrics.ApiServerReviews;
import dev.stockade.installer.metrics.MetricsAccess;
import dev.stockade.installer.metrics.MetricsServer;
import dev.stockade.installer.metrics.NodeMetricsView;
import dev.stockade.installer.metrics.SelfSignedCertificate;
import dev.stockade.installer.report.HealthServer;
import dev.stockade.installer.report.NodeReporter;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Run mode: install (retrying with backoff), then check every interval. Each pass is a full,
 * idempotent install, so a changed profile is rewritten without restarting the container runtime
 * and a reverted config is repaired; the runtime is restarted only when its configuration changes.
 * When the operator requests removal for this policy, it uninstalls, reports Removed and idles.
 */
final class NodeAgent {

    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(3);

    private final InstallerConfig config;
    private final Optional<NodeReporter> reporter;
    private final Optional<KubernetesClient> client;
    private final PrintStream log;
    private final NodeMetricsView metrics;

    NodeAgent(InstallerConfig config, Optional<NodeReporter> reporter, Optional<KubernetesClient> client, PrintStream log) {
        this.config = config;
        this.reporter = reporter;
        this.client = client;
        this.log = log;
        HostRoot host = new HostRoot(config.hostRoot());
        this.metrics = new NodeMetricsView(config.policy(), socket -> NodeMetrics.read(host.resolve(socket), SOCKET_TIMEOUT));
    }

    int runUntilRemoved() throws IOException {
        Optional<MetricsServer> metricsServer = startMetrics();
        try (HealthServer health = new HealthServer(config.healthPort())) {
            return loop(health);
        } finally {
            metricsServer.ifPresent(MetricsServer::close);
        }
    }

    /**
     * The node's /metrics, when the installer talks to an API server (it checks scrapers' tokens
     * there) and a port is set. A failure here is logged, never fatal: the node still gets its runtime.
     */
    private Optional<MetricsServer> startMetrics() {
        if (client.isEmpty() || config.metricsPort() == 0) {
            return Optional.empty();
        }
        try {
            String name = Objects.requireNonNullElse(System.getenv("HOSTNAME"), Objects.requireNonNullElse(config.nodeName(), "stockade-installer"));
            MetricsServer server = new MetricsServer(config.metricsPort(), SelfSignedCertificate.create(name),
                    new MetricsAccess(new ApiServerReviews(client.get())), metrics::render);
            log.println("stockade-runtime-installer: node metrics on https://:" + server.port() + MetricsAccess.PATH
                    + " for tokens allowed to get " + MetricsAccess.PATH);
            return Optional.of(server);
        } catch (IOException | RuntimeException e) {
            log.println("stockade-runtime-installer: no node metrics endpoint: " + e.getMessage());
            return Optional.empty();
        }
    }

    private int loop(HealthServer health) {
        Duration backoff = Duration.ofSeconds(5);
        while (true) {
            Duration wait = config.reconcileInterval();
            try {
                Optional<NodeReporter.Assignment> assignment = reporter.map(NodeReporter::assignment);
                if (removalRequested(assignment)) {
                    // Stay up after the uninstall: exiting would let the DaemonSet start a pod that reinstalls
                    // before the operator has taken the pool label away.
                    uninstallOnRequest(health);
                } else if (releasedFromPool(assignment)) {
                    // The operator released the node after the uninstall: installing again now would leave
                    // a runtime and a ready label behind once the DaemonSet removes this pod.
                    health.notReady("node released from pool " + config.policy() + ": waiting for the DaemonSet to remove this pod");
                    metrics.removing(NodeRuntimeStatus.Phase.Removed);
                } else {
                    install(health);
                }
                backoff = Duration.ofSeconds(5);
            } catch (InstallerException | RuntimeException e) {
                String message = e instanceof InstallerException ? e.getMessage() : e.toString();
                log.println("stockade-runtime-installer: " + message + " (retrying in " + backoff.toSeconds() + " s)");
                health.notReady(message);
                metrics.failed();
                reportFailure(message);
                wait = backoff;
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }
    }

    /** The node carries another policy's pool label, or none (the DaemonSet only starts pods on its own). */
    private boolean releasedFromPool(Optional<NodeReporter.Assignment> assignment) {
        return assignment.map(a -> a.pool().filter(config.policy()::equals).isEmpty()).orElse(false);
    }

    private boolean removalRequested(Optional<NodeReporter.Assignment> assignment) {
        return assignment.flatMap(NodeReporter.Assignment::removalRequest).map(RemovalRequest::policy)
                .filter(config.policy()::equals).isPresent();
    }

    private void install(HealthServer health) throws InstallerException {
        Installer.InstallResult result = InstallerFactory.installer(config, Checkpoint.NONE).install();
        metrics.installed(result);
        reporter.ifPresent(r -> r.ready(InstallerMain.readyStatus(config, result)));
        health.ready();
    }

    private void uninstallOnRequest(HealthServer health) throws InstallerException {
        health.notReady("removal requested: uninstalling");
        metrics.removing(NodeRuntimeStatus.Phase.Removing);
        NodeReporter nodeReporter = reporter.orElseThrow();
        nodeReporter.notReady(new NodeRuntimeStatus(config.policy(), NodeRuntimeStatus.Phase.Removing, null, null, null,
                "removal requested by the operator: uninstalling"));
        Installer.UninstallResult result = InstallerFactory.installer(config, Checkpoint.NONE).uninstall(config.force());
        nodeReporter.notReady(new NodeRuntimeStatus(config.policy(), NodeRuntimeStatus.Phase.Removed, null, null, null,
                "uninstalled; restored " + result.changedFiles()));
        metrics.removing(NodeRuntimeStatus.Phase.Removed);
        health.notReady("removed");
    }

    private void reportFailure(String message) {
        try {
            reporter.ifPresent(r -> r.notReady(InstallerMain.failedStatus(config, message)));
        } catch (RuntimeException e) {
            log.println("stockade-runtime-installer: cannot report the node: " + e.getMessage());
        }
    }
}
