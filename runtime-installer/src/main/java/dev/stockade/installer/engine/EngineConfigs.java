package dev.stockade.installer.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.stockade.api.node.EngineDirectories;
import dev.stockade.api.node.EngineDirectories.Layout;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.preset.RuntimePreset;
import dev.stockade.installer.preset.RuntimePresets;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where each container engine keeps its containers' files, read from the engine's own
 * configuration: its configuration files (already parsed) and the command line of its running
 * daemon. Pure: {@link NodeEngines} reads the host. Each engine's rule is that a command-line flag
 * wins over the file, and the file over the engine's compiled-in default.
 */
public final class EngineConfigs {

    /** containers/storage's defaults for root (containers/storage types/options.go). */
    public static final String STORAGE_GRAPHROOT = "/var/lib/containers/storage";
    public static final String STORAGE_RUNROOT = "/run/containers/storage";

    /**
     * A Docker daemon's files: the daemon.json it reads, its data-root (where the containers' own
     * files are) and its exec-root (its containerd's state, its tasks' bundles).
     */
    public record DockerDaemon(String configFile, String dataRoot, String execRoot) {

        /** A daemon started with no flags and no daemon.json: Docker's preset ({@link RuntimePresets#DOCKER}). */
        public static DockerDaemon defaults() {
            RuntimePreset.Docker engine = (RuntimePreset.Docker) RuntimePresets.DOCKER.engine();
            return new DockerDaemon(RuntimePresets.DOCKER.configFile(), engine.defaultDataRoot(), engine.defaultExecRoot());
        }

        /** The containerd tasks of this daemon (moby's namespace is "moby"), where the installer finds running containers. */
        public String taskStateDirectory() {
            return execRoot + "/containerd/daemon/io.containerd.runtime.v2.task";
        }

        public EngineDirectories directories() {
            return EngineDirectories.of(new EngineDirectories.Entry(Layout.DOCKER, dataRoot));
        }
    }

    /** The daemon.json a dockerd with these arguments reads: {@code --config-file}, else the default one (/etc/docker/daemon.json). */
    public static String dockerConfigFile(List<String> dockerdArguments) throws InstallerException {
        return absolute(flag(dockerdArguments, "--config-file").orElse(DockerDaemon.defaults().configFile()), "dockerd --config-file");
    }

    /**
     * A Docker daemon from its daemon.json ({@code data-root}, or the older {@code graph};
     * {@code exec-root}) and its command line ({@code --data-root}, {@code -g}/{@code --graph},
     * {@code --exec-root}), which dockerd does not let both set; else dockerd's defaults
     * ({@link DockerDaemon#defaults()}).
     *
     * @param daemonJson the parsed daemon.json, empty when there is none
     * @throws InstallerException when a directory is not an absolute path, naming where it came from
     */
    public static DockerDaemon docker(String configFile, Optional<JsonNode> daemonJson, List<String> dockerdArguments) throws InstallerException {
        JsonNode json = daemonJson.orElse(MissingNode.getInstance());
        Optional<String> dataRootFlag = flag(dockerdArguments, "--data-root", "--graph", "-g");
        Optional<String> dataRootFile = text(json, "data-root").or(() -> text(json, "graph"));
        DockerDaemon defaults = DockerDaemon.defaults();
        String dataRoot = absolute(dataRootFlag.or(() -> dataRootFile).orElse(defaults.dataRoot()),
                dataRootFlag.isPresent() ? "dockerd --data-root" : configFile + " data-root");
        Optional<String> execRootFlag = flag(dockerdArguments, "--exec-root");
        String execRoot = absolute(execRootFlag.or(() -> text(json, "exec-root")).orElse(defaults.execRoot()),
                execRootFlag.isPresent() ? "dockerd --exec-root" : configFile + " exec-root");
        return new DockerDaemon(configFile, dataRoot, execRoot);
    }

    /**
     * containerd's {@code root} and {@code state}: its {@code --root} and {@code --state} flags, else
     * the top-level keys of its configuration ({@code containerd config dump}, or the file), else
     * {@code defaults} (the flavour's: k3s and RKE2 pass them as flags).
     */
    public static EngineDirectories containerd(Optional<JsonNode> config, List<String> containerdArguments, String defaultRoot,
                                               String defaultState) throws InstallerException {
        JsonNode toml = config.orElse(MissingNode.getInstance());
        String root = absolute(flag(containerdArguments, "--root").or(() -> text(toml, "root")).orElse(defaultRoot), "containerd root");
        String state = absolute(flag(containerdArguments, "--state").or(() -> text(toml, "state")).orElse(defaultState), "containerd state");
        return EngineDirectories.of(new EngineDirectories.Entry(Layout.CONTAINERD, root), new EngineDirectories.Entry(Layout.CONTAINERD, state));
    }

    /** The configuration file a containerd with these arguments reads ({@code --config}/{@code -c}), if it names one. */
    public static Optional<String> containerdConfigFile(List<String> containerdArguments) {
        return flag(containerdArguments, "--config", "-c");
    }

    /**
     * containers/storage's graphroot and runroot as CRI-O uses them: {@code --root}/{@code -r} and
     * {@code --runroot} flags, else {@code [crio] root}/{@code runroot} of crio.conf and its drop-ins
     * (later ones win), else {@code [storage] graphroot}/{@code runroot} of storage.conf, else the
     * defaults. Podman reads storage.conf alone (and its own --root/--runroot).
     *
     * @param crioConfigs crio.conf then its drop-ins in the order CRI-O reads them; empty for Podman
     */
    public static EngineDirectories containersStorage(Optional<JsonNode> storageConf, List<JsonNode> crioConfigs, List<String> arguments)
            throws InstallerException {
        Optional<String> graphroot = text(storageConf.orElse(MissingNode.getInstance()).path("storage"), "graphroot");
        Optional<String> runroot = text(storageConf.orElse(MissingNode.getInstance()).path("storage"), "runroot");
        for (JsonNode crio : crioConfigs) {
            Optional<String> root = text(crio.path("crio"), "root");
            Optional<String> run = text(crio.path("crio"), "runroot");
            graphroot = root.isPresent() ? root : graphroot;
            runroot = run.isPresent() ? run : runroot;
        }
        Optional<String> graphrootFile = graphroot;
        Optional<String> runrootFile = runroot;
        String graph = absolute(flag(arguments, "--root", "-r").or(() -> graphrootFile).orElse(STORAGE_GRAPHROOT), "containers/storage graphroot");
        String run = absolute(flag(arguments, "--runroot").or(() -> runrootFile).orElse(STORAGE_RUNROOT), "containers/storage runroot");
        return EngineDirectories.of(new EngineDirectories.Entry(Layout.CONTAINERS_STORAGE, graph),
                new EngineDirectories.Entry(Layout.CONTAINERS_STORAGE, run));
    }

    /** The value of the last of {@code names} given as {@code NAME VALUE} or {@code NAME=VALUE} (a daemon takes the last one). */
    static Optional<String> flag(List<String> arguments, String... names) {
        Optional<String> found = Optional.empty();
        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            for (String name : names) {
                if (argument.equals(name) && i + 1 < arguments.size()) {
                    found = Optional.of(arguments.get(i + 1));
                } else if (argument.startsWith(name + "=")) {
                    found = Optional.of(argument.substring(name.length() + 1));
                }
            }
        }
        return found;
    }

    private static Optional<String> text(JsonNode node, String key) {
        JsonNode value = node.path(key);
        return value.isTextual() && !value.asText().isEmpty() ? Optional.of(value.asText()) : Optional.empty();
    }

    private static String normalized(String path) {
        return Path.of(path).normalize().toString();
    }

    private static String absolute(String path, String where) throws InstallerException {
        if (!path.startsWith("/")) {
            throw new InstallerException(where + " is '" + path + "', not an absolute path; the installer cannot tell the sandbox runtime "
                    + "where the engine keeps its containers' files. Fix the engine's configuration");
        }
        return normalized(path);
    }

    private EngineConfigs() {
    }
}
