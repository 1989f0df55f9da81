package dev.stockade.installer.preset;

import dev.stockade.installer.runtime.RuntimeKind;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the installer knows about one flavour of container runtime, as data: how it is
 * detected, which file the engine reads, where its socket is, how handlers are registered, how it is
 * restarted, where its engine keeps its containers' files and how its running engine is checked.
 * Pure: {@link RuntimePresets} holds the six presets, {@link FlavourDetector} reads the host.
 * All paths are host-absolute.
 *
 * @param kind          the flavour's name, as in {@code STOCKADE_CONTAINER_RUNTIME} and the install state
 * @param detection     what on the host makes a node this flavour (in {@link RuntimePresets#detectionOrder})
 * @param socket        the socket that answers once the runtime is up ({@code STOCKADE_RUNTIME_SOCKET=auto})
 * @param configFile    the configuration file the engine itself reads: containerd's config.toml (the
 *                      rendered one for k3s, RKE2 and MicroK8s), crio.conf, Docker's default daemon.json
 * @param configuration how handlers are registered, and which configurator does it
 * @param restart       the restart for {@code STOCKADE_RESTART=auto}
 * @param engine        how the engine's directories (its containers' own files, its running tasks) are derived
 * @param containerdCheck how the running containerd is verified, for the flavours whose containerd the installer can ask
 */
public record RuntimePreset(
        RuntimeKind kind,
        Detection detection,
        String socket,
        String configFile,
        Configuration configuration,
        Restart restart,
        Engine engine,
        Optional<ContainerdCheck> containerdCheck) {

    /**
     * A host path whose presence marks a flavour.
     *
     * @param directory true when only a directory counts, false when anything at the path does
     */
    public record Marker(String path, boolean directory) {

        public static Marker directory(String path) {
            return new Marker(path, true);
        }

        public static Marker anything(String path) {
            return new Marker(path, false);
        }

        @Override
        public String toString() {
            return path + (directory ? "/" : "");
        }
    }

    /** The flavour is on the host when any of {@code anyOf} is present and none of {@code noneOf}. */
    public record Detection(List<Marker> anyOf, List<Marker> noneOf) {

        public Detection {
            anyOf = List.copyOf(anyOf);
            noneOf = List.copyOf(noneOf);
        }

        public boolean matches(Set<Marker> present) {
            return anyOf.stream().anyMatch(present::contains) && noneOf.stream().noneMatch(present::contains);
        }
    }

    /** How the handlers reach the engine's configuration. */
    public sealed interface Configuration {
    }

    /**
     * Stock containerd: handlers in a drop-in of Stockade's own that {@link #configFile} imports
     * ({@code runtime.ContainerdConfigurator}).
     */
    public record ContainerdDropIn(String dropIn) implements Configuration {
    }

    /**
     * containerd whose config the distribution renders from a template on every start: handlers
     * in a managed block of the template ({@code runtime.TemplateConfigurator}).
     *
     * @param template        the template the rendered file comes from
     * @param v3Template      k3s's and RKE2's template for containerd 2.x (config version 3), if the flavour has one
     * @param extendsBase     true for k3s and RKE2 (a Go template; without one of the host's own the installer writes
     *                        one that extends the built-in {@code base}); false for MicroK8s (its TOML template must exist)
     */
    public record ContainerdTemplate(String template, Optional<String> v3Template, boolean extendsBase) implements Configuration {
    }

    /** CRI-O: handlers in Stockade's own drop-in; CRI-O reads every file under the directory ({@code runtime.CrioConfigurator}). */
    public record CrioDropIn(String dropInDirectory, String dropIn) implements Configuration {
    }

    /**
     * Docker: handlers in the {@code runtimes} object of the daemon.json the running dockerd reads
     * ({@link #configFile} unless it names another with --config-file; {@code runtime.DockerConfigurator}).
     */
    public record DaemonJson() implements Configuration {
    }

    /** The restart for {@code STOCKADE_RESTART=auto}. */
    public sealed interface Restart {
    }

    /**
     * {@code systemctl restart} of the first of {@code units} whose unit file the host has (in
     * {@link RuntimePresets#SYSTEMD_UNIT_DIRECTORIES}), else of the last one.
     */
    public record SystemdUnit(List<String> units) implements Restart {

        public SystemdUnit {
            units = List.copyOf(units);
            if (units.isEmpty()) {
                throw new IllegalArgumentException("a systemd restart needs a unit");
            }
        }

        /** The unit to restart, given which of {@link #units} have a unit file on the host. */
        public String unit(Set<String> unitsWithFile) {
            return units.stream().filter(unitsWithFile::contains).findFirst().orElse(units.getLast());
        }
    }

    /** A signal to the root process of that name (dockerd reloads its runtimes on SIGHUP). */
    public record Signal(String process, String signal) implements Restart {
    }

    /** Where the engine keeps its containers' files and its running tasks, and how to find out. */
    public sealed interface Engine {
    }

    /**
     * containerd's {@code root} and {@code state}: its process's flags, then {@link #configFile}
     * ({@code containerd config dump} of it when {@code dump}), then these defaults. Its running
     * tasks are under {@code <state>/io.containerd.runtime.v2.task}.
     */
    public record Containerd(String defaultRoot, String defaultState, boolean dump) implements Engine {

        /** The running tasks under a containerd state directory. */
        public static String taskStateDirectory(String state) {
            return state + "/io.containerd.runtime.v2.task";
        }
    }

    /**
     * A Docker daemon's data-root and exec-root: the running dockerd's flags, then its daemon.json,
     * then these defaults (dockerd's compiled-in ones).
     */
    public record Docker(String defaultDataRoot, String defaultExecRoot) implements Engine {
    }

    /**
     * containers/storage as CRI-O uses it: the {@code process}'s flags, then {@code [crio]} in
     * {@link #configFile} and the files under {@code crioDropIns}, then {@code storageConf}, then
     * containers/storage's defaults.
     */
    public record ContainersStorage(String storageConf, String crioDropIns, String process) implements Engine {
    }

    /**
     * How the running containerd is verified: {@code binary --config dumpedConfig config dump} must
     * list the handlers, and the process serving {@link #socket} must have started after
     * {@code newerThan} were last changed.
     */
    public record ContainerdCheck(String binary, String dumpedConfig, List<String> newerThan) {

        public ContainerdCheck {
            newerThan = List.copyOf(newerThan);
        }
    }

    public String settingName() {
        return kind.settingName();
    }
}
