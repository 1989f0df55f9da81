package dev.stockade.installer;

import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.installer.report.NodeReporter;
import dev.stockade.installer.state.InstallState;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The command line: install, uninstall, status and run; non-zero exit with a message on every failure. */
public final class InstallerMain {

    public static void main(String[] args) {
        // The JDK HTTP server's limits (read before its first server): pods on the network can reach the
        // metrics port, and one that opens connections and never finishes a request must not pile them up.
        System.setProperty("sun.net.httpserver.maxConnections", "64");
        System.setProperty("sun.net.httpserver.maxReqTime", "10");
        System.exit(run(List.of(args), System.getenv(), System.out, System.err, () -> new KubernetesClientBuilder().build()));
    }

    /** The whole command; the client (in-cluster service account in production) is made only when NODE_NAME is set. */
    public static int run(List<String> args, Map<String, String> environment, PrintStream out, PrintStream err,
                          Supplier<KubernetesClient> clients) {
        if (args.contains("--help") || args.contains("-h") || args.contains("help")) {
            out.print(InstallerConfig.help());
            return 0;
        }
        InstallerConfig config;
        try {
            config = InstallerConfig.parse(args, environment);
        } catch (InstallerException e) {
            err.println("stockade-runtime-installer: " + e.getMessage());
            return 2;
        }
        try (KubernetesClient client = config.nodeName() == null || config.command().equals("status") ? null : clients.get()) {
            Optional<NodeReporter> reporter = Optional.ofNullable(client).map(c -> new NodeReporter(c, config.nodeName()));
            return switch (config.command()) {
                case "install" -> install(config, reporter, out, err);
                case "uninstall" -> uninstall(config, reporter, out, err);
                case "status" -> status(config, out, err);
                case "run" -> new NodeAgent(config, reporter, Optional.ofNullable(client), err).runUntilRemoved();
                default -> throw new IllegalStateException(config.command());
            };
        } catch (IOException | RuntimeException e) {
            err.println("stockade-runtime-installer: " + config.command() + " failed: " + e);
            return 1;
        }
    }

    static int install(InstallerConfig config, Optional<NodeReporter> reporter, PrintStream out, PrintStream err) {
        try {
            Installer.InstallResult result = InstallerFactory.installer(config, Checkpoint.NONE).install();
            reporter.ifPresent(r -> r.ready(readyStatus(config, result)));
            out.println("installed Stockade runtime " + result.version() + " (" + result.release() + ") with handlers "
                    + result.handlers() + "; changed " + (result.changedFiles().isEmpty() ? "no runtime configuration" : result.changedFiles())
                    + (result.restarted() ? "; container runtime restarted" : "; container runtime not restarted")
                    + "; " + result.supervisor() + "; " + result.specServer()
                    + result.notices().stream().map(notice -> "; WARNING: " + notice).collect(java.util.stream.Collectors.joining()));
            return 0;
        } catch (InstallerException e) {
            // The cause first: reporting it may fail too (API server unreachable).
            err.println("stockade-runtime-installer: install failed: " + e.getMessage());
            reporter.ifPresent(r -> r.notReady(failedStatus(config, e.getMessage())));
            return 1;
        }
    }

    static int uninstall(InstallerConfig config, Optional<NodeReporter> reporter, PrintStream out, PrintStream err) {
        try {
            Installer installer = InstallerFactory.installer(config, Checkpoint.NONE);
            // No new sandboxed pods may land here while the runtime goes away.
            reporter.ifPresent(r -> r.notReady(new NodeRuntimeStatus(config.policy(), NodeRuntimeStatus.Phase.Removing,
                    null, null, null, "uninstalling the Stockade runtime")));
            Installer.UninstallResult result = installer.uninstall(config.force());
            reporter.ifPresent(NodeReporter::clear);
            out.println("uninstalled the Stockade runtime; restored " + result.changedFiles()
                    + (result.restarted() ? "; container runtime restarted" : ""));
            return 0;
        } catch (InstallerException e) {
            err.println("stockade-runtime-installer: uninstall failed: " + e.getMessage());
            reporter.ifPresent(r -> r.notReady(new NodeRuntimeStatus(config.policy(), NodeRuntimeStatus.Phase.Failed,
                    null, null, null, "uninstall failed: " + e.getMessage())));
            return 1;
        }
    }

    static int status(InstallerConfig config, PrintStream out, PrintStream err) {
        try {
            Installer installer = InstallerFactory.installer(config, Checkpoint.NONE);
            InstallState state = installer.state();
            if (state.isEmpty()) {
                out.println("Stockade runtime: not installed under " + config.hostRoot());
                return 1;
            }
            out.println("Stockade runtime release " + state.release() + " for " + state.runtime());
            out.println("handlers: " + state.handlers());
            out.println("profiles: " + state.profileHashes());
            out.println("managed files: " + state.files().stream().map(f -> f.path()).toList());
            List<String> running = installer.runningContainers();
            out.println("containers running through the handlers: " + (running.isEmpty() ? "none" : running));
            installer.checkInstalledFiles();
            out.println("installed files: complete");
            return 0;
        } catch (InstallerException e) {
            err.println("stockade-runtime-installer: status failed: " + e.getMessage());
            return 1;
        }
    }

    static NodeRuntimeStatus readyStatus(InstallerConfig config, Installer.InstallResult result) {
        return new NodeRuntimeStatus(config.policy(), NodeRuntimeStatus.Phase.Ready, result.version(), result.handlers(),
                result.profileHashes(), "runtime " + result.release() + " installed and verified; " + result.supervisor() + "; " + result.specServer()
                + result.notices().stream().map(notice -> "; WARNING: " + notice).collect(java.util.stream.Collectors.joining()));
    }

    static NodeRuntimeStatus failedStatus(InstallerConfig config, String message) {
        return new NodeRuntimeStatus(config.policy(), NodeRuntimeStatus.Phase.Failed, null,
                config.handlers().stream().map(h -> h.name()).toList(), null, message);
    }

    private InstallerMain() {
    }
}
