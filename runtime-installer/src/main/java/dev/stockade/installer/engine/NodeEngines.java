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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads the node's container engine where it really is: the command lines of its running daemons
 * in the host's /proc (hostPID), its configuration files under the host root, and for containerd
 * its own {@code config dump}. {@link EngineConfigs} makes the decisions.
 */
public final class NodeEngines {

    private static final System.Logger LOG = System.getLogger(NodeEngines.class.getName());
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

    /**
     * The running kubelet's root directory, read where its distribution takes it
     * ({@link KubeletRoots}), with where it was read; empty when no kubelet of root's runs, or its
     * root cannot be read (the reason is logged), so that the configured one holds. The first of: a
     * kubelet process (its own flags; RKE2's kubelet is one), MicroK8s's kubelite (its kubelet
     * arguments file), k3s (config.yaml, drop-ins, --kubelet-arg), RKE2 before its kubelet started.
     * A kubelet that names no --root-dir uses its default, which then wins over the configured one.
     *
     * @throws InstallerException when a source the running kubelet reads is bad (not YAML, a
     *                            relative root), naming the file and the field
     */
    public Optional<KubeletRoots.KubeletRoot> kubeletRoot() throws InstallerException {
        for (RootProcess kubelet : rootProcesses("kubelet")) {
            Optional<String> flag = KubeletRoots.kubeletFlag(kubelet.arguments());
            if (flag.isPresent()) {
                return Optional.of(KubeletRoots.checked(flag.get(), "the --root-dir of the kubelet (pid " + kubelet.pid() + ")"));
            }
            return Optional.of(new KubeletRoots.KubeletRoot(KubeletRoots.KUBELET_DEFAULT,
                    "the kubelet's default (the kubelet, pid " + kubelet.pid() + ", names no --root-dir)"));
        }
        for (RootProcess kubelite : rootProcesses("kubelite")) {
            Optional<Map<String, String>> environment = environment(kubelite);
            if (environment.isEmpty()) {
                continue;
            }
            String argsFile = hostPath(kubelite, KubeletRoots.kubeliteArgsFile(kubelite.arguments()));
            Optional<String> text = host.read(argsFile);
            if (text.isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "kubelite (pid {0}) reads its kubelet flags from {1}, which is gone: "
                        + "the kubelet''s root is taken from the installer''s setting", kubelite.pid(), argsFile);
                return Optional.empty();
            }
            String source = argsFile + " (the kubelet flags of kubelite, pid " + kubelite.pid() + ")";
            Optional<String> flag = KubeletRoots.kubeletFlag(KubeletRoots.kubeliteKubeletArguments(text.get(), environment.get()));
            return Optional.of(flag.isPresent() ? KubeletRoots.checked(flag.get(), "--root-dir in " + source)
                    : new KubeletRoots.KubeletRoot(KubeletRoots.KUBELET_DEFAULT, "the kubelet's default (no --root-dir in " + source + ")"));
        }
        for (String name : List.of("k3s-server", "k3s-agent", "k3s", "rke2")) {
            for (RootProcess process : rootProcesses(name)) {
                if (!process.arguments().contains("server") && !process.arguments().contains("agent")) {
                    continue; // k3s kubectl, crictl…: no kubelet in it
                }
                Optional<Map<String, String>> environment = environment(process);
                if (environment.isPresent()) {
                    return rancherKubeletRoot(name.startsWith("k3s") ? "k3s" : "rke2", process, environment.get());
                }
            }
        }
        return Optional.empty();
    }

    /** k3s or RKE2 ({@code program}): its kubelet args from config.yaml and its drop-ins, then from its command line. */
    private Optional<KubeletRoots.KubeletRoot> rancherKubeletRoot(String program, RootProcess process, Map<String, String> environment)
            throws InstallerException {
        String described = program + " (pid " + process.pid() + ")";
        List<KubeletRoots.KubeletArg> commandLine = KubeletRoots.rancherCommandLineKubeletArgs(process.arguments(),
                "--kubelet-arg of " + described);
        String configFile = KubeletRoots.rancherConfigFile(program, process.arguments(), environment);
        List<KubeletRoots.KubeletArg> kubeletArgs = new ArrayList<>();
        if (configFile.matches("(?i)https?://.*")) {
            if (KubeletRoots.rancherKubeletRoot(commandLine).isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "{0} reads its configuration from {1}, which the installer does not fetch: "
                        + "the kubelet''s root is taken from the installer''s setting", described, configFile);
                return Optional.empty();
            }
        } else {
            kubeletArgs.addAll(KubeletRoots.rancherConfigKubeletArgs(rancherConfigFiles(hostPath(process, configFile))));
        }
        kubeletArgs.addAll(commandLine);
        Optional<KubeletRoots.KubeletArg> root = KubeletRoots.rancherKubeletRoot(kubeletArgs);
        if (root.isEmpty()) {
            return Optional.of(new KubeletRoots.KubeletRoot(KubeletRoots.KUBELET_DEFAULT,
                    "the kubelet's default (no kubelet-arg root-dir in the configuration or command line of " + described + ")"));
        }
        return Optional.of(KubeletRoots.checked(root.get().value(), "root-dir in " + root.get().origin()));
    }

    /** k3s's or RKE2's config.yaml, if there is one, then its drop-ins in the order it reads them. */
    private List<KubeletRoots.ConfigFile> rancherConfigFiles(String configFile) throws InstallerException {
        List<KubeletRoots.ConfigFile> files = new ArrayList<>();
        Optional<String> main = host.read(configFile);
        if (main.isPresent()) {
            files.add(new KubeletRoots.ConfigFile(configFile, main.get()));
        }
        Path dropIns = host.resolve(configFile + ".d");
        if (Files.isDirectory(dropIns)) {
            try (Stream<Path> entries = Files.list(dropIns)) {
                List<String> names = entries.filter(path -> !Files.isDirectory(path)).map(path -> path.getFileName().toString()).toList();
                for (String dropIn : KubeletRoots.rancherDropIns(configFile, names)) {
                    files.add(new KubeletRoots.ConfigFile(dropIn, host.read(dropIn).orElse("")));
                }
            } catch (IOException e) {
                throw new InstallerException("cannot list " + configFile + ".d: " + e.getMessage(), e);
            }
        }
        return files;
    }

    /** A path a process was given, as the host path it names: relative ones against its working directory. */
    private String hostPath(RootProcess process, String path) throws InstallerException {
        if (path.startsWith("/")) {
            return Path.of(path).normalize().toString();
        }
        try {
            return Path.of(Files.readSymbolicLink(process.directory().resolve("cwd")).toString(), path).normalize().toString();
        } catch (IOException e) {
            throw new InstallerException("cannot read the working directory of pid " + process.pid() + ", against which it reads '" + path
                    + "': " + e.getMessage(), e);
        }
    }

    /**
     * A process's environment (its /proc/PID/environ), or empty when it ended while we looked.
     *
     * @throws InstallerException when it runs but its environment cannot be read (no ptrace access)
     */
    private Optional<Map<String, String>> environment(RootProcess process) throws InstallerException {
        try {
            Map<String, String> environment = new HashMap<>();
            for (String entry : Files.readString(process.directory().resolve("environ"), StandardCharsets.UTF_8).split("\0")) {
                int equals = entry.indexOf('=');
                if (equals > 0) {
                    environment.putIfAbsent(entry.substring(0, equals), entry.substring(equals + 1));
                }
            }
            return Optional.of(environment);
        } catch (IOException e) {
            if (!Files.exists(process.directory())) {
                return Optional.empty();
            }
            throw new InstallerException("cannot read /proc/" + process.pid() + "/environ (" + e.getMessage() + "), which the installer needs "
                    + "to read the kubelet's root as that process does. Run the installer privileged in the host's PID namespace (hostPID)", e);
        }
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

        String pid() {
            return directory.getFileName().toString();
        }
    }

    private List<RootProcess> rootProcesses(String name) {
        List<Path> directories;
        try {
            directories = host.rootProcesses(name);
        } catch (IOException e) {
            return List.of();
        }
        List<RootProcess> found = new ArrayList<>();
        for (Path process : directories) {
            try {
                String cmdline = Files.readString(process.resolve("cmdline"), StandardCharsets.UTF_8);
                if (!cmdline.isEmpty()) {
                    found.add(new RootProcess(process, List.of(cmdline.split("\0"))));
                }
            } catch (IOException e) {
                // The process ended while we looked: it is not the engine that runs.
            }
        }
        return found;
    }
}
