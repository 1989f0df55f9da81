package dev.stockade.installer;

import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.api.status.RemovalRequest;
import dev.stockade.installer.report.HealthServer;
import dev.stockade.installer.report.NodeReporter;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Optional;

/**
 * Run mode: install (retrying with backoff), then check every interval. Each pass is a full,
 * idempotent install, so a changed profile is rewritten without restarting the container runtime
 * and a reverted config is repaired; the runtime is restarted only when its configuration changes.
 * When the operator requests removal for this policy, it uninstalls, reports Removed and idles.
 */
final class NodeAgent {

    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private final InstallerConfig config;
    private final Optional<NodeReporter> reporter;
    private final PrintStream log;

    NodeAgent(InstallerConfig config, Optional<NodeReporter> reporter, PrintStream log) {
        this.config = config;
        this.reporter = reporter;
        this.log = log;
    }

    int runUntilRemoved() throws IOException {
        try (HealthServer health = new HealthServer(config.healthPort())) {
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
                    } else {
                        install(health);
                    }
                    backoff = Duration.ofSeconds(5);
                } catch (InstallerException | RuntimeException e) {
                    String message = e instanceof InstallerException ? e.getMessage() : e.toString();
                    log.println("stockade-runtime-installer: " + message + " (retrying in " + backoff.toSeconds() + " s)");
                    health.notReady(message);
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
        reporter.ifPresent(r -> r.ready(InstallerMain.readyStatus(config, result)));
        health.ready();
    }

    private void uninstallOnRequest(HealthServer health) throws InstallerException {
        health.notReady("removal requested: uninstalling");
        NodeReporter nodeReporter = reporter.orElseThrow();
        nodeReporter.notReady(new NodeRuntimeStatus(config.policy(), NodeRuntimeStatus.Phase.Removing, null, null, null,
                "removal requested by the operator: uninstalling"));
        Installer.UninstallResult result = InstallerFactory.installer(config, Checkpoint.NONE).uninstall(config.force());
        nodeReporter.notReady(new NodeRuntimeStatus(config.policy(), NodeRuntimeStatus.Phase.Removed, null, null, null,
                "uninstalled; restored " + result.changedFiles()));
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
