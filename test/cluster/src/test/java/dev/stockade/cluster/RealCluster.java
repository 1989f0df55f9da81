package dev.stockade.cluster;

import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.HostPrerequisites;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The single-node Kubernetes of {@code test/cluster/up}, started once per test run and stopped by
 * {@link ClusterSession} when the run ends. Its settings (directory, binaries, node name, images)
 * are read from {@code test/cluster/env.sh}, the harness's one home for them.
 */
final class RealCluster {

    /** A cold build of Kubernetes from its Go modules takes most of this on 2 cores. */
    private static final Duration UP_TIMEOUT = Duration.ofMinutes(60);

    private static RealCluster started;

    private final Path repository;
    private final Map<String, String> settings;
    private final Path kubeconfig;

    private RealCluster(Path repository, Map<String, String> settings, Path kubeconfig) {
        this.repository = repository;
        this.settings = settings;
        this.kubeconfig = kubeconfig;
    }

    /** The running cluster, started on first use; fails (CI) or skips (laptop) without its prerequisites. */
    static synchronized RealCluster get() {
        if (started == null) {
            HostPrerequisites.requireRoot();
            for (String tool : List.of("containerd", "runc", "tini", "openssl", "iptables", "umoci", "gcc", "ip")) {
                HostPrerequisites.requireExecutable(tool);
            }
            Path repository = repository();
            Map<String, String> settings = readSettings(repository);
            if (!Files.isDirectory(Path.of(settings.get("K8S_BIN")))) {
                HostPrerequisites.require(HostPrerequisites.findExecutable("go") != null,
                        "a Go toolchain, or the tools already built in " + settings.get("TOOLS_CACHE") + " (test/cluster/build-tools)");
            }
            CommandResult up = Commands.run(UP_TIMEOUT, Map.of(), List.of(repository.resolve("test/cluster/up").toString()));
            if (up.exitCode() != 0) {
                throw new AssertionError("test/cluster/up failed:\n" + up.describe());
            }
            started = new RealCluster(repository, settings, Path.of(up.stdout().strip()));
        }
        return started;
    }

    /** Stops the cluster if this run started it. */
    static synchronized void stopIfStarted() {
        if (started != null) {
            Commands.run(Duration.ofMinutes(2), Map.of(), List.of(started.repository.resolve("test/cluster/down").toString()))
                    .requireSuccess();
            started = null;
        }
    }

    static Path repository() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("test/cluster/env.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("test/cluster/env.sh not found above " + System.getProperty("user.dir"));
        }
        return dir;
    }

    private static Map<String, String> readSettings(Path repository) {
        List<String> names = List.of("CLUSTER_DIR", "TOOLS_CACHE", "K8S_BIN", "CRICTL_BIN", "HELM_BIN", "NODE_NAME", "NODE_IP",
                "NETNS", "BUSYBOX_IMAGE", "KUBERNETES_VERSION");
        StringBuilder script = new StringBuilder(". \"$1\"");
        for (String name : names) {
            script.append("; echo \"").append(name).append("=$").append(name).append('"');
        }
        String out = Commands.run("bash", "-c", script.toString(), "settings", repository.resolve("test/cluster/env.sh").toString())
                .requireSuccess().stdout();
        Map<String, String> settings = new HashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            settings.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return settings;
    }

    Path repositoryPath(String relative) {
        return repository.resolve(relative);
    }

    Path kubeconfig() {
        return kubeconfig;
    }

    String nodeName() {
        return settings.get("NODE_NAME");
    }

    String busyboxImage() {
        return settings.get("BUSYBOX_IMAGE");
    }

    String kubernetesVersion() {
        return settings.get("KUBERNETES_VERSION");
    }

    /** The node's address on its link to the host: the API server's, and where a test may listen for the host to reach it. */
    String nodeIp() {
        return settings.get("NODE_IP");
    }

    /**
     * Starts {@code command} in the node's network namespace only: it reaches pod addresses and the
     * API server as a process on the node would, while reading the host's files. Output goes to {@code log}.
     */
    Process startInNodeNetwork(List<String> command, Path log) {
        try {
            return new ProcessBuilder(inNodeNetwork(command)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A command in the node's network namespace only (e.g. curl to a pod address), waited for. */
    CommandResult inNodeNetwork(Duration timeout, String... command) {
        return Commands.run(timeout, Map.of(), inNodeNetwork(List.of(command)));
    }

    private List<String> inNodeNetwork(List<String> command) {
        List<String> full = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + settings.get("NETNS"), "--"));
        full.addAll(command);
        return full;
    }

    Path logs() {
        return Path.of(settings.get("CLUSTER_DIR"), "logs");
    }

    /**
     * Where the host sees a path of the node: the node's standard directories (/etc/containerd,
     * /opt/stockade, /run…) are bound from the cluster directory.
     */
    Path onNode(String nodePath) {
        return Path.of(settings.get("CLUSTER_DIR"), "node", nodePath);
    }

    KubernetesClient client() {
        try {
            Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
            return new KubernetesClientBuilder().withConfig(config).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** kubectl with the cluster's admin kubeconfig, run from the repository (as the README's lines are). */
    CommandResult kubectl(String... args) {
        return kubectl(Duration.ofMinutes(3), args);
    }

    CommandResult kubectl(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(settings.get("K8S_BIN") + "/kubectl"));
        command.addAll(List.of(args));
        return inRepository(timeout, command);
    }

    /** helm (built from its Go module) with the cluster's admin kubeconfig, run from the repository. */
    CommandResult helm(String... args) {
        List<String> command = new ArrayList<>(List.of(settings.get("HELM_BIN") + "/helm"));
        command.addAll(List.of(args));
        return inRepository(Duration.ofMinutes(5), command);
    }

    /** A command in the node's namespaces (crictl, ctr, kill…), through {@code test/cluster/node-exec}. */
    CommandResult onNodeRun(Duration timeout, String... command) {
        List<String> full = new ArrayList<>(List.of(repository.resolve("test/cluster/node-exec").toString()));
        full.addAll(List.of(command));
        return Commands.run(timeout, Map.of(), full);
    }

    /** Imports an image tar (docker or OCI archive) into the node's containerd, where the kubelet finds it. */
    void importImage(Path tar) {
        HostPrerequisites.require(Files.isRegularFile(tar), "the image tar " + tar + " (./mvnw package builds it)");
        onNodeRun(Duration.ofMinutes(3), "ctr", "--address", "/run/containerd/containerd.sock", "-n", "k8s.io",
                "images", "import", tar.toString()).requireSuccess();
    }

    private CommandResult inRepository(Duration timeout, List<String> command) {
        List<String> shell = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && exec \"$@\"", repository.toString()));
        shell.addAll(command);
        return Commands.run(timeout, Map.of("KUBECONFIG", kubeconfig.toString()), shell);
    }
}
