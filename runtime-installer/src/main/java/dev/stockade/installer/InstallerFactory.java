package dev.stockade.installer;

import dev.stockade.installer.engine.KubeletRoots;
import dev.stockade.installer.engine.NodeEngines;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.payload.PayloadInstaller;
import dev.stockade.installer.preset.FlavourDetector;
import dev.stockade.installer.preset.RuntimePreset;
import dev.stockade.installer.profile.ProfileInstaller;
import dev.stockade.installer.restart.CommandRestarter;
import dev.stockade.installer.restart.RuntimeReadiness;
import dev.stockade.installer.restart.RuntimeRestarter;
import dev.stockade.installer.restart.SignalRestarter;
import dev.stockade.installer.runtime.ContainerdConfigurator;
import dev.stockade.installer.runtime.CrioConfigurator;
import dev.stockade.installer.runtime.DockerConfigurator;
import dev.stockade.installer.runtime.TemplateConfigurator;
import dev.stockade.installer.runtime.RuntimeConfigurator;
import dev.stockade.installer.specserver.SpecServerControl;
import dev.stockade.installer.supervisor.SupervisorControl;
import dev.stockade.installer.verify.CommandVerifier;
import dev.stockade.installer.verify.ContainerdDumpVerifier;
import dev.stockade.installer.verify.HandlerVerifier;
import dev.stockade.installer.verify.InstalledFilesVerifier;
import dev.stockade.installer.verify.RunningContainerdVerifier;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Builds the installer's parts from its configuration. */
public final class InstallerFactory {

    private static final System.Logger LOG = System.getLogger(InstallerFactory.class.getName());
    static final Duration RESTART_TIMEOUT = Duration.ofSeconds(120);
    static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(60);

    public static Installer installer(InstallerConfig config, Checkpoint checkpoint) throws InstallerException {
        HostRoot host = new HostRoot(config.hostRoot());
        RuntimePreset preset = FlavourDetector.resolve(config.containerRuntime(), host, config.containerdConfig());
        NodeEngines engines = new NodeEngines(host);
        KubeletRoots.KubeletRoot kubelet = KubeletRoots.effective(engines.kubeletRoot(), config.kubeletRoot());
        LOG.log(System.Logger.Level.INFO, "kubelet root {0}, from {1}", kubelet.path(), kubelet.source());
        String kubeletRoot = kubelet.path();
        PayloadInstaller payload = new PayloadInstaller(host, config.payload(), Optional.ofNullable(config.policy()), kubeletRoot,
                Optional.of(engines.directories(preset)), checkpoint);
        return new Installer(host, config.handlers(), configurator(preset, host),
                restarter(config.restart(), readiness(config.runtimeSocket(), preset, host), preset, host),
                verifier(config.verify(), host, preset, config.runtimeSocket(), config.crictl(), payload), payload,
                new ProfileInstaller(host, config.profileSource()),
                SupervisorControl.forNode(host, Optional.ofNullable(config.nodeName()), config.supervisorMetrics()), SpecServerControl.forNode(host), checkpoint);
    }

    /** The configurator the preset's configuration names. */
    public static RuntimeConfigurator configurator(RuntimePreset preset, HostRoot host) throws InstallerException {
        return switch (preset.configuration()) {
            case RuntimePreset.ContainerdDropIn ignored -> new ContainerdConfigurator(host, preset);
            case RuntimePreset.ContainerdTemplate ignored -> new TemplateConfigurator(host, preset);
            case RuntimePreset.CrioDropIn ignored -> new CrioConfigurator(host, preset);
            case RuntimePreset.DaemonJson ignored -> new DockerConfigurator(host, new NodeEngines(host).docker());
        };
    }

    /** auto, systemd:UNIT, signal:PROCESS[:SIGNAL] or command:SHELL COMMAND. */
    public static RuntimeRestarter restarter(String setting, RuntimeReadiness readiness, RuntimePreset preset, HostRoot host)
            throws InstallerException {
        if (setting.equals("auto")) {
            return switch (preset.restart()) {
                case RuntimePreset.SystemdUnit units -> CommandRestarter.systemd(FlavourDetector.systemdUnit(units, host), RESTART_TIMEOUT, readiness);
                case RuntimePreset.Signal signal -> new SignalRestarter(host, signal.process(), signal.signal(), readiness);
            };
        }
        if (setting.startsWith("systemd:")) {
            return CommandRestarter.systemd(setting.substring("systemd:".length()), RESTART_TIMEOUT, readiness);
        }
        if (setting.startsWith("signal:")) {
            String[] parts = setting.substring("signal:".length()).split(":");
            return new SignalRestarter(host, parts[0], parts.length > 1 ? parts[1].replaceFirst("^SIG", "") : "HUP", readiness);
        }
        if (setting.startsWith("command:")) {
            return new CommandRestarter(List.of("sh", "-c", setting.substring("command:".length())), RESTART_TIMEOUT, readiness);
        }
        throw new InstallerException("STOCKADE_RESTART='" + setting + "' is not auto, systemd:<unit>, signal:<process>[:<SIGNAL>] or command:<shell command>");
    }

    /** auto (the runtime's usual socket), a host path, or none. */
    public static RuntimeReadiness readiness(String setting, RuntimePreset preset, HostRoot host) throws InstallerException {
        if (setting.equals("none")) {
            return () -> { };
        }
        return RuntimeReadiness.socket(host.resolve(socketPath(setting, preset)), RESTART_TIMEOUT);
    }

    /** auto: the host's crictl in /usr/bin or /usr/local/bin, if any; none; or a host path, which must be executable. */
    private static Optional<String> crictl(String setting, HostRoot host) throws InstallerException {
        if (setting.equals("none")) {
            return Optional.empty();
        }
        if (setting.equals("auto")) {
            return Stream.of("/usr/bin/crictl", "/usr/local/bin/crictl").filter(path -> Files.isExecutable(host.resolve(path))).findFirst();
        }
        if (!setting.startsWith("/") || !Files.isExecutable(host.resolve(setting))) {
            throw new InstallerException("STOCKADE_CRICTL='" + setting + "' is not auto, none or the host path of an executable crictl");
        }
        return Optional.of(setting);
    }

    /** The host path of the runtime's socket for a setting other than none. */
    private static String socketPath(String setting, RuntimePreset preset) throws InstallerException {
        String socket = setting.equals("auto") ? preset.socket() : setting;
        if (!socket.startsWith("/")) {
            throw new InstallerException("STOCKADE_RUNTIME_SOCKET='" + setting + "' is not auto, none or an absolute host path");
        }
        return socket;
    }

    /**
     * files: the installed files only; launcher and command: first the files, then (flavours whose
     * preset has a {@link RuntimePreset#containerdCheck() containerd check}: stock containerd and
     * MicroK8s) containerd's own reading of its config and, unless the runtime socket is none, the
     * running containerd (started after the config was written, CRI plugin loaded), then the
     * launcher or the command.
     */
    public static HandlerVerifier verifier(String setting, HostRoot host, RuntimePreset preset,
                                           String runtimeSocket, String crictlSetting, PayloadInstaller payload) throws InstallerException {
        HandlerVerifier files = new InstalledFilesVerifier(host, payload);
        if (setting.equals("files")) {
            return files;
        }
        HandlerVerifier registered = files;
        Optional<String> crictl = crictl(crictlSetting, host);
        if (preset.containerdCheck().isPresent()) {
            RuntimePreset.ContainerdCheck check = preset.containerdCheck().get();
            registered = new ContainerdDumpVerifier(files, host, check.binary(), check.dumpedConfig(), VERIFY_TIMEOUT);
            if (!runtimeSocket.equals("none")) {
                registered = new RunningContainerdVerifier(registered, host, Path.of("/proc"), socketPath(runtimeSocket, preset),
                        check.newerThan(), crictl, VERIFY_TIMEOUT);
            }
        }
        if (setting.equals("launcher")) {
            return CommandVerifier.launcherVersion(registered, host.path().toString(), VERIFY_TIMEOUT);
        }
        if (setting.startsWith("command:")) {
            return CommandVerifier.shell(registered, setting.substring("command:".length()), VERIFY_TIMEOUT);
        }
        throw new InstallerException("STOCKADE_VERIFY='" + setting + "' is not files, launcher or command:<shell command>");
    }

    private InstallerFactory() {
    }
}
