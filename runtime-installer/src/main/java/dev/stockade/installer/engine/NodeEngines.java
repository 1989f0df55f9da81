package dev.stockade.installer.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.stockade.api.node.EngineDirectories;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.restart.CommandRestarter;
import dev.stockade.installer.preset.RuntimePreset;
import dev.stockade.installer.preset.RuntimePresets;
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
     * The directories in which the engine of {@code preset} keeps its containers' and sandboxes' own
     * files, derived as its {@link RuntimePreset#engine() engine} says from the host's files and processes.
     */
    public EngineDirectories directories(RuntimePreset preset) throws InstallerException {
        return switch (preset.engine()) {
            case RuntimePreset.Docker ignored -> docker().directories();
            case RuntimePreset.Containerd containerd -> containerd(preset.configFile(), containerd);
            case RuntimePreset.ContainersStorage storage -> crio(preset, storage);
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
    private EngineDirectories containerd(String configPath, RuntimePreset.Containerd engine) throws InstallerException {
        List<String> arguments = List.of();
        Optional<String> running = runningContainerd(configPath);
        for (List<String> candidate : commandLines("containerd")) {
            // containerd reads /etc/containerd/config.toml when no -c names another.
            if (EngineConfigs.containerdConfigFile(candidate).orElse(RuntimePresets.CONTAINERD_CONFIG).equals(configPath)) {
                arguments = candidate;
                break;
            }
        }
        Optional<JsonNode> config = Optional.empty();
        if (engine.dump() && (running.isPresent() || isExecutable("containerd"))) {
            List<String> command = new ArrayList<>(host.isSystemRoot() ? List.of() : List.of("chroot", host.path().toString()));
            command.addAll(List.of(running.orElse("containerd"), "--config", configPath, "config", "dump"));
            String output = CommandRestarter.runCommand(command, DUMP_TIMEOUT, "asking containerd for its root and state directories");
            config = Optional.of(TomlDocuments.parse("the output of containerd config dump", output));
        } else {
            Optional<String> text = host.read(configPath);
            if (text.isPresent()) {
                config = Optional.of(TomlDocuments.parse(configPath, text.get()));
            }
        }
        return EngineConfigs.containerd(config, arguments, engine.defaultRoot(), engine.defaultState());
    }

    private EngineDirectories crio(RuntimePreset preset, RuntimePreset.ContainersStorage engine) throws InstallerException {
        Optional<JsonNode> storage = Optional.empty();
        Optional<String> storageText = host.read(engine.storageConf());
        if (storageText.isPresent()) {
            storage = Optional.of(TomlDocuments.parse(engine.storageConf(), storageText.get()));
        }
        List<JsonNode> crioConfigs = new ArrayList<>();
        Optional<String> main = host.read(preset.configFile());
        if (main.isPresent()) {
            crioConfigs.add(TomlDocuments.parse(preset.configFile(), main.get()));
        }
        String crioDropIns = engine.crioDropIns();
        Path dropIns = host.resolve(crioDropIns);
        if (Files.isDirectory(dropIns)) {
            try (Stream<Path> files = Files.list(dropIns)) {
                // CRI-O reads every file of the directory in lexical order.
                for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                    String hostPath = crioDropIns + "/" + file.getFileName();
                    crioConfigs.add(TomlDocuments.parse(hostPath, host.read(hostPath).orElse("")));
                }
            } catch (IOException e) {
                throw new InstallerException("cannot list " + crioDropIns + ": " + e.getMessage(), e);
            }
        }
        return EngineConfigs.containersStorage(storage, crioConfigs, commandLines(engine.process()).stream().findFirst().orElse(List.of()));
    }

    private boolean isExecutable(String program) {
        return Stream.of("/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/")
                .anyMatch(directory -> Files.isExecutable(host.resolve(directory + program)));
    }

    /**
     * The host path of the program of the running containerd that reads {@code configPath} (its
     * {@code /proc/PID/exe}), so that {@code config dump} is asked of the release that runs: a node
     * can carry another containerd on PATH (Debian's 1.x package beside a 2.x from a release
     * tarball), which reads a version 3 file differently. Empty when no such containerd runs or its
     * program was replaced since it started.
     */
    public Optional<String> runningContainerd(String configPath) {
        for (RootProcess process : rootProcesses("containerd")) {
            if (EngineConfigs.containerdConfigFile(process.arguments()).orElse(RuntimePresets.CONTAINERD_CONFIG).equals(configPath)) {
                try {
                    String program = Files.readSymbolicLink(process.directory().resolve("exe")).toString();
                    return program.endsWith(" (deleted)") ? Optional.empty() : Optional.of(program);
                } catch (IOException e) {
                    // Ended while we looked.
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The arguments of every root process of the host named {@code name} (its /proc/PID/comm),
     * lowest pid first. Root's only: any user can name a process dockerd, and its flags must not
     * decide which host directories containers may mount.
     */
    List<List<String>> commandLines(String name) {
        return rootProcesses(name).stream().map(RootProcess::arguments).toList();
    }

    /** A root process of the host: its /proc directory and its arguments. */
    private record RootProcess(Path directory, List<String> arguments) {
    }

    private List<RootProcess> rootProcesses(String name) {
        Path proc = host.resolve("/proc");
        List<RootProcess> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(proc)) {
            for (Path process : entries.filter(p -> p.getFileName().toString().matches("[0-9]+"))
                    .sorted((a, b) -> Long.compare(Long.parseLong(a.getFileName().toString()), Long.parseLong(b.getFileName().toString())))
                    .toList()) {
                try {
                    if (Files.readString(process.resolve("comm"), StandardCharsets.UTF_8).strip().equals(name)
                            && Integer.valueOf(0).equals(Files.getAttribute(process, "unix:uid"))) {
                        String cmdline = Files.readString(process.resolve("cmdline"), StandardCharsets.UTF_8);
                        if (!cmdline.isEmpty()) {
                            found.add(new RootProcess(process, List.of(cmdline.split("\0"))));
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
