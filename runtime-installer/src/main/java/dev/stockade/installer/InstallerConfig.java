package dev.stockade.installer;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.Stockade;
import dev.stockade.installer.preset.RuntimePresets;
import dev.stockade.installer.runtime.Handler;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the installer is told, from environment variables (the DaemonSet's contract in
 * {@link InstallerEnvironment}) overridden by {@code --flags}. Immutable; built once in main.
 */
public record InstallerConfig(
        String command,
        Path hostRoot,
        String policy,
        String nodeName,
        List<Handler> handlers,
        String containerRuntime,
        Path profileSource,
        String kubeletRoot,
        String supervisorMetrics,
        Path payload,
        String restart,
        String runtimeSocket,
        String crictl,
        String verify,
        String containerdConfig,
        int healthPort,
        int metricsPort,
        Duration reconcileInterval,
        boolean force) {

    /** Installer-only settings, beyond the operator's contract. */
    public static final String PAYLOAD = "STOCKADE_PAYLOAD";
    /** Same name as the operator's InstallerEnvironment.RESTART. */
    public static final String RESTART = InstallerEnvironment.RESTART;
    public static final String RUNTIME_SOCKET = "STOCKADE_RUNTIME_SOCKET";
    public static final String CRICTL = "STOCKADE_CRICTL";
    public static final String VERIFY = "STOCKADE_VERIFY";
    public static final String CONTAINERD_CONFIG = "STOCKADE_CONTAINERD_CONFIG";
    /** Same name as the operator's InstallerEnvironment.HEALTH_PORT. */
    public static final String HEALTH_PORT = "STOCKADE_HEALTH_PORT";
    public static final String RECONCILE_SECONDS = "STOCKADE_RECONCILE_SECONDS";
    public static final String FORCE = "STOCKADE_FORCE";

    public static final String DEFAULT_PAYLOAD = "/opt/stockade-payload";
    public static final int DEFAULT_HEALTH_PORT = 8090;

    /** One setting: its flag, environment variable, default and meaning, for parsing and --help alike. */
    public record Setting(String flag, String variable, String defaultValue, String meaning) {
    }

    public static final List<Setting> SETTINGS = List.of(
            new Setting("--policy", InstallerEnvironment.POLICY, null, "SandboxPolicy this node serves (required for install and run)"),
            new Setting("--node-name", InstallerEnvironment.NODE_NAME, null,
                    "this node, from the downward API; when unset, nothing is reported to the API server"),
            new Setting("--handlers", InstallerEnvironment.HANDLERS, null,
                    "runtime classes and their handlers: class=handler,class=handler (required for install and run)"),
            new Setting("--container-runtime", InstallerEnvironment.CONTAINER_RUNTIME, "auto", "auto (detect) or one of " + RuntimePresets.choices()),
            new Setting("--host-root", InstallerEnvironment.HOST_ROOT, InstallerEnvironment.DEFAULT_HOST_ROOT,
                    "where the host's root file system is mounted"),
            new Setting("--profile-source", InstallerEnvironment.PROFILE_SOURCE, InstallerEnvironment.DEFAULT_PROFILE_SOURCE,
                    "directory with one <class>.json profile per runtime class (the policy's ConfigMap)"),
            new Setting("--kubelet-root-dir", InstallerEnvironment.KUBELET_ROOT, InstallerEnvironment.DEFAULT_KUBELET_ROOT,
                    "the kubelet's --root-dir on this node: the runtime allows pod volumes only from its pods/ directory"),
            new Setting("--supervisor-metrics", InstallerEnvironment.SUPERVISOR_METRICS, InstallerEnvironment.DEFAULT_SUPERVISOR_METRICS,
                    "where the node's seccomp supervisor serves Prometheus /metrics: HOST:PORT in the host's network, or off"),
            new Setting("--payload", PAYLOAD, DEFAULT_PAYLOAD, "the unpacked runtime payload (VERSION, bin/, lib/, jre/) to install"),
            new Setting("--restart", RESTART, InstallerEnvironment.DEFAULT_RESTART,
                    "how to restart the container runtime: auto, systemd:<unit>, signal:<process>[:<SIGNAL>], command:<shell command>"),
            new Setting("--runtime-socket", RUNTIME_SOCKET, "auto",
                    "socket that must answer after a restart: auto (the runtime's usual socket), a host path, or none (the restart command waits itself)"),
            new Setting("--crictl", CRICTL, "auto",
                    "the CRI client that asks the running containerd which handlers it serves: auto (the host's /usr/bin or "
                            + "/usr/local/bin crictl, when there is one), a host path, or none"),
            new Setting("--verify", VERIFY, "launcher",
                    "how to verify handlers: files (installed files only), launcher (files; for stock containerd its config dump and, "
                            + "unless the runtime socket is none, that the running containerd started after the config was written, "
                            + "loaded its CRI plugin and (with crictl) serves the handlers; then <launcher> --version in the host root), command:<shell command> (files; the "
                            + "containerd checks; then the command with arguments <handler> <launcher>)"),
            new Setting("--containerd-config", CONTAINERD_CONFIG, RuntimePresets.CONTAINERD_CONFIG,
                    "containerd's main config file on the host (stock containerd only)"),
            new Setting("--health-port", HEALTH_PORT, Integer.toString(DEFAULT_HEALTH_PORT),
                    "port of /healthz and /readyz in run mode"),
            new Setting("--metrics-port", InstallerEnvironment.METRICS_PORT, Integer.toString(InstallerEnvironment.DEFAULT_METRICS_PORT),
                    "run mode: port of the node's Prometheus /metrics over HTTPS, for bearer tokens allowed to get /metrics; 0 turns it off"),
            new Setting("--reconcile-seconds", RECONCILE_SECONDS, "30", "run mode: seconds between checks of profiles and configuration"),
            new Setting("--force", FORCE, "false", "uninstall even while containers of the handlers still run"));

    public static final List<String> COMMANDS = List.of("install", "uninstall", "status", "run");

    public static InstallerConfig parse(List<String> args, Map<String, String> environment) throws InstallerException {
        Map<String, String> values = new LinkedHashMap<>();
        for (Setting setting : SETTINGS) {
            String fromEnvironment = environment.get(setting.variable());
            values.put(setting.flag(), fromEnvironment != null && !fromEnvironment.isBlank() ? fromEnvironment : setting.defaultValue());
        }
        String command = null;
        for (String arg : args) {
            if (arg.equals("--force")) {
                values.put("--force", "true");
            } else if (arg.startsWith("--")) {
                int equals = arg.indexOf('=');
                String flag = equals < 0 ? arg : arg.substring(0, equals);
                if (!values.containsKey(flag) || equals < 0) {
                    throw new InstallerException("unknown option '" + arg + "'; options take the form --name=value (see --help)");
                }
                values.put(flag, arg.substring(equals + 1));
            } else if (command == null) {
                command = arg;
            } else {
                throw new InstallerException("unexpected argument '" + arg + "' after the command '" + command + "' (see --help)");
            }
        }
        if (command == null || !COMMANDS.contains(command)) {
            throw new InstallerException((command == null ? "no command given" : "unknown command '" + command + "'")
                    + "; use one of " + String.join(", ", COMMANDS) + " (see --help)");
        }
        List<Handler> handlers = parseHandlers(values.get("--handlers"));
        boolean needsPolicy = command.equals("install") || command.equals("run");
        if (needsPolicy && (values.get("--policy") == null || values.get("--policy").isBlank())) {
            throw new InstallerException("no policy: set " + InstallerEnvironment.POLICY + " or --policy");
        }
        if (needsPolicy && handlers.isEmpty()) {
            throw new InstallerException("no handlers: set " + InstallerEnvironment.HANDLERS + " or --handlers to class=handler,...");
        }
        String kubeletRoot = values.get("--kubelet-root-dir");
        if (!Stockade.isKubeletRoot(kubeletRoot)) {
            throw new InstallerException("--kubelet-root-dir (" + InstallerEnvironment.KUBELET_ROOT + "): '" + kubeletRoot
                    + "' must be a normalized absolute path of letters, digits and . _ - /; set the policy's spec.installer.kubeletRootDir to "
                    + "the kubelet's --root-dir");
        }
        String supervisorMetrics = values.get("--supervisor-metrics");
        if (!supervisorMetrics.matches(Stockade.SUPERVISOR_METRICS_PATTERN)) {
            throw new InstallerException("--supervisor-metrics (" + InstallerEnvironment.SUPERVISOR_METRICS + "): '" + supervisorMetrics
                    + "' must be HOST:PORT (e.g. 0.0.0.0:9464 or [::]:9464) or off; set the policy's spec.installer.supervisorMetrics");
        }
        return new InstallerConfig(command,
                Path.of(values.get("--host-root")),
                values.get("--policy"),
                blankToNull(values.get("--node-name")),
                handlers,
                values.get("--container-runtime"),
                Path.of(values.get("--profile-source")),
                kubeletRoot,
                supervisorMetrics,
                Path.of(values.get("--payload")),
                values.get("--restart"),
                values.get("--runtime-socket"),
                values.get("--crictl"),
                values.get("--verify"),
                values.get("--containerd-config"),
                integer("--health-port", values.get("--health-port")),
                integer("--metrics-port", values.get("--metrics-port")),
                Duration.ofSeconds(integer("--reconcile-seconds", values.get("--reconcile-seconds"))),
                Boolean.parseBoolean(values.get("--force")));
    }

    /** {@code class=handler,class=handler}; a class without {@code =handler} gets the default handler name. */
    public static List<Handler> parseHandlers(String value) throws InstallerException {
        List<Handler> handlers = new ArrayList<>();
        if (value == null || value.isBlank()) {
            return handlers;
        }
        for (String entry : value.split(",")) {
            String trimmed = entry.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            int equals = trimmed.indexOf('=');
            String runtimeClass = equals < 0 ? trimmed : trimmed.substring(0, equals).strip();
            String handler = equals < 0 ? dev.stockade.api.Stockade.defaultHandlerName(runtimeClass) : trimmed.substring(equals + 1).strip();
            try {
                Handler parsed = new Handler(runtimeClass, handler);
                if (handlers.stream().anyMatch(h -> h.name().equals(parsed.name()) || h.runtimeClass().equals(parsed.runtimeClass()))) {
                    throw new InstallerException(InstallerEnvironment.HANDLERS + ": '" + trimmed + "' repeats a runtime class or handler");
                }
                handlers.add(parsed);
            } catch (IllegalArgumentException e) {
                throw new InstallerException(InstallerEnvironment.HANDLERS + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(handlers);
    }

    public static String help() {
        StringBuilder out = new StringBuilder("""
                Usage: stockade-runtime-installer <command> [--option=value ...]

                Installs Stockade's sandbox runtime on this node, registers one handler per runtime class
                with the node's container runtime, verifies it and reports the node.

                Commands:
                  install    install or update the runtime, profiles and handlers; restart the container
                             runtime only if its configuration changed; verify; report the node
                  uninstall  remove the ready label, then undo exactly what install did (refuses while
                             containers of the handlers run, unless --force); restart the runtime once
                  status     print what is installed on this node (exit 1 when not installed or broken)
                  run        install, retrying with backoff, then stay running as the node's reporter:
                             re-apply on profile changes, serve /healthz and /readyz and the node's
                             /metrics, uninstall when the operator requests removal

                Options (each also read from its environment variable; the option wins):
                """);
        for (Setting setting : SETTINGS) {
            out.append(String.format("  %-26s %-28s %s%s%n", setting.flag() + (setting.flag().equals("--force") ? "" : "=..."),
                    setting.variable(), setting.meaning(), setting.defaultValue() == null ? "" : " [default: " + setting.defaultValue() + "]"));
        }
        out.append("""

                Exit status: 0 on success; 1 when install, uninstall or status fails, 2 for a bad command line or
                setting; the message names the file or setting, the problem and what to do.
                """);
        return out.toString();
    }

    private static int integer(String flag, String value) throws InstallerException {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new InstallerException(flag + ": '" + value + "' is not a whole number", e);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
