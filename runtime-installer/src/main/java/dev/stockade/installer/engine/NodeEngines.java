package dev.stockade.installer.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.stockade.api.node.EngineDirectories;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.restart.CommandRestarter;
import dev.stockade.installer.runtime.RuntimeKind;
import dev.stockade.installer.runtime.TemplateConfigurator;
import dev.stockade.installer.toml.TomlDocuments;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads the node's container engine where it really is: the command lines of its running daemons
 * in the host's /proc (hostPID), its configuration files under the host root, and for containerd
 * its own {@code config dump}. {@link EngineConfigs} makes the decisions.
 */
public final class NodeEngines {

    /** The rendered configuration files k3s and RKE2 give their containerd ({@code -c}). */
    static final String K3S_CONTAINERD_CONFIG = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml";
    static final String RKE2_CONTAINERD_CONFIG = "/var/lib/rancher/rke2/agent/etc/containerd/config.toml";
    static final String STORAGE_CONF = "/etc/containers/storage.conf";
    static final String CRIO_CONF = "/etc/crio/crio.conf";
    static final String CRIO_DROP_INS = "/etc/crio/crio.conf.d";
    static final String DEFAULT_CONTAINERD_CONFIG = "/etc/containerd/config.toml";
    private static final Duration DUMP_TIMEOUT = Duration.ofSeconds(30);

    private final HostRoot host;

    public NodeEngines(HostRoot host) {
        this.host = host;
    }

    /** The running Docker daemon's files (the first dockerd found), or those of one that would start with no flags. */
    public EngineConfigs.DockerDaemon docker() throws InstallerException {
        List<String> arguments = commandLines("dockerd").stream().findFirst().orElse(List.of());
        String configFile = EngineConfigs.dockerConfigFile(arguments);
        Optional<String> text = host.read(configFile);
        Optional<JsonNode> json = Optional.empty();
        if (text.isPresent() && !text.get().isBlank()) {
            try {
                json = Optional.of(JsonMapper.builder().build().readTree(text.get()));
            } catch (JsonProcessingException e) {
                throw new InstallerException(configFile + " is not valid JSON (" + e.getOriginalMessage() + "); the installer cannot tell "
                        + "where Docker keeps its containers' files. Fix the file and the installer will retry", e);
            }
        }
        return EngineConfigs.docker(configFile, json, arguments);
    }

    /**
     * The directories of the engine of {@code kind} in which it keeps its containers' and sandboxes'
     * own files. {@code containerdConfig} is the stock containerd's configuration file.
     */
    public EngineDirectories directories(RuntimeKind kind, String containerdConfig) throws InstallerException {
        return switch (kind) {
            case DOCKER -> docker().directories();
            case CONTAINERD -> containerd(containerdConfig, "/var/lib/containerd", "/run/containerd", true);
            case K3S -> containerd(K3S_CONTAINERD_CONFIG, "/var/lib/rancher/k3s/agent/containerd", "/run/k3s/containerd", false);
            case RKE2 -> containerd(RKE2_CONTAINERD_CONFIG, "/var/lib/rancher/rke2/agent/containerd", "/run/k3s/containerd", false);
            // The snap starts containerd with --root and --state under $SNAP_COMMON, read from its flags first.
            case MICROK8S -> containerd(TemplateConfigurator.MICROK8S_ARGS + "/containerd.toml", "/var/snap/microk8s/common/var/lib/containerd",
                    "/var/snap/microk8s/common/run/containerd", false);
            case CRIO -> crio();
        };
    }

    /** The running kubelet's --root-dir (k3s's or RKE2's --kubelet-arg), if a kubelet runs and names one. */
    public Optional<String> kubeletRootDir() {
        for (String name : List.of("kubelet", "k3s", "k3s-server", "k3s-agent", "rke2")) {
            for (List<String> arguments : commandLines(name)) {
                Optional<String> root = EngineConfigs.kubeletRootDir(arguments);
                if (root.isPresent()) {
                    return root;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * containerd reading {@code configPath}: its running process's flags, then what it loads from
     * the file ({@code config dump} when {@code dump}, the file itself otherwise or when the binary
     * is not there to ask).
     */
    private EngineDirectories containerd(String configPath, String defaultRoot, String defaultState, boolean dump) throws InstallerException {
        List<String> arguments = List.of();
        for (List<String> candidate : commandLines("containerd")) {
            if (EngineConfigs.containerdConfigFile(candidate).orElse(DEFAULT_CONTAINERD_CONFIG).equals(configPath)) {
                arguments = candidate;
                break;
            }
        }
        Optional<JsonNode> config = Optional.empty();
        if (dump && isExecutable("containerd")) {
            List<String> command = new ArrayList<>(host.isSystemRoot() ? List.of() : List.of("chroot", host.path().toString()));
            command.addAll(List.of("containerd", "--config", configPath, "config", "dump"));
            String output = CommandRestarter.runCommand(command, DUMP_TIMEOUT, "asking containerd for its root and state directories");
            config = Optional.of(TomlDocuments.parse("the output of containerd config dump", output));
        } else {
            Optional<String> text = host.read(configPath);
            if (text.isPresent()) {
                config = Optional.of(TomlDocuments.parse(configPath, text.get()));
            }
        }
        return EngineConfigs.containerd(config, arguments, defaultRoot, defaultState);
    }

    private EngineDirectories crio() throws InstallerException {
        Optional<JsonNode> storage = Optional.empty();
        Optional<String> storageText = host.read(STORAGE_CONF);
        if (storageText.isPresent()) {
            storage = Optional.of(TomlDocuments.parse(STORAGE_CONF, storageText.get()));
        }
        List<JsonNode> crioConfigs = new ArrayList<>();
        Optional<String> main = host.read(CRIO_CONF);
        if (main.isPresent()) {
            crioConfigs.add(TomlDocuments.parse(CRIO_CONF, main.get()));
        }
        Path dropIns = host.resolve(CRIO_DROP_INS);
        if (Files.isDirectory(dropIns)) {
            try (Stream<Path> files = Files.list(dropIns)) {
                // CRI-O reads every file of the directory in lexical order.
                for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                    String hostPath = CRIO_DROP_INS + "/" + file.getFileName();
                    crioConfigs.add(TomlDocuments.parse(hostPath, host.read(hostPath).orElse("")));
                }
            } catch (IOException e) {
                throw new InstallerException("cannot list " + CRIO_DROP_INS + ": " + e.getMessage(), e);
            }
        }
        return EngineConfigs.containersStorage(storage, crioConfigs, commandLines("crio").stream().findFirst().orElse(List.of()));
    }

    private boolean isExecutable(String program) {
        return Stream.of("/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/")
                .anyMatch(directory -> Files.isExecutable(host.resolve(directory + program)));
    }

    /**
     * The arguments of every root process of the host named {@code name} (its /proc/PID/comm),
     * lowest pid first. Root's only: any user can name a process dockerd, and its flags must not
     * decide which host directories containers may mount.
     */
    List<List<String>> commandLines(String name) {
        Path proc = host.resolve("/proc");
        List<List<String>> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(proc)) {
            for (Path process : entries.filter(p -> p.getFileName().toString().matches("[0-9]+"))
                    .sorted((a, b) -> Long.compare(Long.parseLong(a.getFileName().toString()), Long.parseLong(b.getFileName().toString())))
                    .toList()) {
                try {
                    if (Files.readString(process.resolve("comm"), StandardCharsets.UTF_8).strip().equals(name)
                            && Integer.valueOf(0).equals(Files.getAttribute(process, "unix:uid"))) {
                        String cmdline = Files.readString(process.resolve("cmdline"), StandardCharsets.UTF_8);
                        if (!cmdline.isEmpty()) {
                            found.add(List.of(cmdline.split("\0")));
                        }
                    }
                } catch (IOException e) {
                    // The process ended while we looked: it is not the engine that runs.
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return found;
    }
}
