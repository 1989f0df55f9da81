package dev.stockade.installer.engine;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.Stockade;
import dev.stockade.installer.InstallerException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The kubelet's root directory (its {@code --root-dir}) from each place a distribution takes it,
 * one pure function per source; {@link NodeEngines#kubeletRoot()} reads the host and picks the
 * source. The kubelet's configuration file has no such field: it is a flag only, so every source
 * ends in a kubelet command line, and the kubelet (pflag) takes the last {@code --root-dir}.
 * <ul>
 * <li>a kubelet process (kubeadm, RKE2, k0s, MicroK8s before kubelite): its own command line;</li>
 * <li>MicroK8s's {@code kubelite}: the file named by {@code --kubelet-args-file}, read as kubelite
 * reads it (its {@code options.ReadArgsFromFile});</li>
 * <li>k3s and RKE2 ({@code --kubelet-arg}): their config.yaml and its drop-ins, then their command
 * line, merged as k3s's {@code pkg/configfilearg} and {@code util.GetArgs} do.</li>
 * </ul>
 */
public final class KubeletRoots {

    /** The kubelet's compiled-in --root-dir (k8s.io/kubernetes cmd/kubelet/app/options). */
    public static final String KUBELET_DEFAULT = "/var/lib/kubelet";
    /** kubelite's default --kubelet-args-file (MicroK8s cmd/kubelite/app/options). */
    public static final String KUBELITE_DEFAULT_ARGS_FILE = "/var/snap/microk8s/current/args/kubelet";

    private static final YAMLMapper YAML = new YAMLMapper();

    /** A kubelet root and where it was read, in words for the node's status and the log. */
    public record KubeletRoot(String path, String source) {
    }

    /** One of k3s's or RKE2's configuration files: its host path and its text. */
    public record ConfigFile(String path, String text) {
    }

    /** One kubelet arg of k3s or RKE2 ({@code root-dir=/data/kubelet}) and where it was given, in words. */
    public record KubeletArg(String value, String origin) {
    }

    /** A kubelet's own --root-dir (pflag: the last one given), if it names one. */
    public static Optional<String> kubeletFlag(List<String> kubeletArguments) {
        return EngineConfigs.flag(kubeletArguments, "--root-dir");
    }

    /** The kubelet arguments file a kubelite with these arguments reads: its {@code --kubelet-args-file}, else kubelite's default. */
    public static String kubeliteArgsFile(List<String> kubeliteArguments) {
        return EngineConfigs.flag(kubeliteArguments, "--kubelet-args-file").orElse(KUBELITE_DEFAULT_ARGS_FILE);
    }

    /**
     * The kubelet arguments kubelite builds from its arguments file: lines trimmed, empty lines and
     * lines starting with {@code #} skipped, every {@code "} and {@code '} removed, each line split at
     * single spaces and each part expanded with Go's {@code os.ExpandEnv} in kubelite's own
     * environment (so {@code ${SNAP_COMMON}} is the snap's common directory).
     *
     * @param environment kubelite's environment (its /proc/PID/environ)
     */
    public static List<String> kubeliteKubeletArguments(String argsFileText, Map<String, String> environment) {
        List<String> arguments = new ArrayList<>();
        for (String raw : argsFileText.split("\n", -1)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            line = line.replace("\"", "").replace("'", "");
            for (String part : line.split(" ", -1)) {
                arguments.add(expandEnv(part, environment));
            }
        }
        return arguments;
    }

    /**
     * Go's {@code os.ExpandEnv}: {@code $NAME} and {@code ${NAME}} become the variable's value, or
     * nothing when it is not set; {@code $} before anything else stays; {@code ${}} and an unclosed
     * {@code ${} are dropped.
     */
    static String expandEnv(String text, Map<String, String> environment) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$' || i + 1 >= text.length()) {
                out.append(c);
                i++;
                continue;
            }
            String rest = text.substring(i + 1);
            String name;
            int width;
            if (rest.charAt(0) == '{') {
                if (rest.length() > 2 && isShellSpecial(rest.charAt(1)) && rest.charAt(2) == '}') {
                    name = rest.substring(1, 2);
                    width = 3;
                } else {
                    int close = rest.indexOf('}');
                    name = close > 1 ? rest.substring(1, close) : "";
                    width = close == 1 ? 2 : close > 1 ? close + 1 : 1;
                }
            } else if (isShellSpecial(rest.charAt(0))) {
                name = rest.substring(0, 1);
                width = 1;
            } else {
                int end = 0;
                while (end < rest.length() && isAlphaNumeric(rest.charAt(end))) {
                    end++;
                }
                name = rest.substring(0, end);
                width = end;
            }
            if (!name.isEmpty()) {
                out.append(environment.getOrDefault(name, ""));
            } else if (width == 0) {
                out.append('$');
            }
            i += 1 + width;
        }
        return out.toString();
    }

    private static boolean isShellSpecial(char c) {
        return "*#$@!?-0123456789".indexOf(c) >= 0;
    }

    private static boolean isAlphaNumeric(char c) {
        return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }

    /**
     * The config.yaml k3s or RKE2 ({@code program}) reads: {@code <PROGRAM>_CONFIG_FILE} from its
     * environment, else its {@code --config}/{@code -c}, else {@code /etc/rancher/<program>/config.yaml}
     * (k3s pkg/configfilearg, whose parser looks at the variable first). May be relative to the
     * process's working directory, or a URL.
     */
    public static String rancherConfigFile(String program, List<String> arguments, Map<String, String> environment) {
        String variable = environment.getOrDefault(program.toUpperCase(Locale.ROOT) + "_CONFIG_FILE", "");
        if (!variable.isEmpty()) {
            return variable;
        }
        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            for (String name : List.of("--config", "-c")) {
                if (argument.equals(name)) {
                    return i + 1 < arguments.size() ? arguments.get(i + 1) : "";
                }
                if (argument.startsWith(name + "=")) {
                    return argument.substring(name.length() + 1);
                }
            }
        }
        return "/etc/rancher/" + program + "/config.yaml";
    }

    /** The drop-ins of {@code configFile} among the names in {@code <configFile>.d}: files ending .yaml or .yml (any case), in name order. */
    public static List<String> rancherDropIns(String configFile, List<String> namesInDirectory) {
        return namesInDirectory.stream()
                .filter(name -> name.toLowerCase(Locale.ROOT).endsWith(".yaml") || name.toLowerCase(Locale.ROOT).endsWith(".yml"))
                .sorted()
                .map(name -> configFile + ".d/" + name)
                .toList();
    }

    /**
     * The {@code kubelet-arg} values of k3s's or RKE2's configuration: config.yaml then its drop-ins
     * in that order; in a later file {@code kubelet-arg} replaces what the earlier ones gave and
     * {@code kubelet-arg+} appends to it; a value is one string or a list of them.
     *
     * @throws InstallerException when a file is not a YAML mapping or {@code kubelet-arg} is neither
     *                            a string nor a list of strings, naming the file and the key
     */
    public static List<KubeletArg> rancherConfigKubeletArgs(List<ConfigFile> files) throws InstallerException {
        Optional<List<KubeletArg>> values = Optional.empty();
        for (ConfigFile file : files) {
            for (Map.Entry<String, JsonNode> entry : topLevel(file)) {
                String key = entry.getKey();
                if (!key.equals("kubelet-arg") && !key.equals("kubelet-arg+")) {
                    continue;
                }
                List<KubeletArg> value = strings(file, key, entry.getValue()).stream()
                        .map(item -> new KubeletArg(item, file.path() + " " + key)).toList();
                if (key.endsWith("+") && values.isPresent()) {
                    List<KubeletArg> appended = new ArrayList<>(values.get());
                    appended.addAll(value);
                    values = Optional.of(appended);
                } else {
                    values = Optional.of(value);
                }
            }
        }
        return values.orElse(List.of());
    }

    /** The {@code --kubelet-arg} values on k3s's or RKE2's command line, in order (urfave/cli takes one or two dashes, = or a space). */
    public static List<KubeletArg> rancherCommandLineKubeletArgs(List<String> arguments, String origin) {
        List<KubeletArg> values = new ArrayList<>();
        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i).startsWith("--") ? arguments.get(i).substring(1) : arguments.get(i);
            if (argument.equals("-kubelet-arg") && i + 1 < arguments.size()) {
                values.add(new KubeletArg(arguments.get(++i), origin));
            } else if (argument.startsWith("-kubelet-arg=")) {
                values.add(new KubeletArg(argument.substring("-kubelet-arg=".length()), origin));
            }
        }
        return values;
    }

    /**
     * The --root-dir k3s or RKE2 gives its kubelet from its kubelet args (config values first, then
     * the command line's): k3s's {@code util.GetArgs} keeps every {@code root-dir=} value in order,
     * {@code root-dir+=} appends and {@code root-dir-=} prepends, and the kubelet takes the last.
     * Empty when none names it (the kubelet's default then holds: k3s sets none outside rootless mode).
     *
     * @return the winning directory, with the origin of the arg that gave it
     */
    public static Optional<KubeletArg> rancherKubeletRoot(List<KubeletArg> kubeletArgs) {
        List<KubeletArg> values = new ArrayList<>();
        for (KubeletArg kubeletArg : kubeletArgs) {
            String argument = kubeletArg.value().startsWith("--") ? kubeletArg.value().substring(2) : kubeletArg.value();
            int equals = argument.indexOf('=');
            String name = equals < 0 ? argument : argument.substring(0, equals);
            String value = equals < 0 ? "true" : argument.substring(equals + 1);
            if (!name.replaceAll("[-+]+$", "").equals("root-dir")) {
                continue;
            }
            KubeletArg root = new KubeletArg(value, kubeletArg.origin());
            if (name.endsWith("-")) {
                values.addFirst(root);
            } else {
                values.add(root);
            }
        }
        return values.isEmpty() ? Optional.empty() : Optional.of(values.getLast());
    }

    /**
     * A root read from {@code source}, normalized as the kubelet joins paths under it.
     *
     * @throws InstallerException when it is not absolute (the kubelet would resolve it against its
     *                            working directory, which the installer does not guess), or holds
     *                            characters the handler launcher does not carry
     *                            ({@link Stockade#KUBELET_ROOT_PATTERN})
     */
    public static KubeletRoot checked(String path, String source) throws InstallerException {
        if (!path.startsWith("/")) {
            throw new InstallerException(source + " is '" + path + "', not an absolute path; the installer cannot tell the sandbox runtime "
                    + "where the kubelet keeps its pods' volumes. Give the kubelet an absolute --root-dir");
        }
        String normalized = Path.of(path).normalize().toString();
        if (!Stockade.isKubeletRoot(normalized)) {
            throw new InstallerException(source + " is '" + path + "'; the sandbox runtime takes a kubelet root of letters, digits and "
                    + ". _ - / only. Move the kubelet's --root-dir to such a path");
        }
        return new KubeletRoot(normalized, source);
    }

    /**
     * The root the runtime is told: the running kubelet's, which is what the kubelet uses, else
     * {@code configured} (the policy's {@code spec.installer.kubeletRootDir}, default
     * {@value #KUBELET_DEFAULT}). A configured root the running kubelet does not use is named in the
     * source, so the node's log says why it was not taken.
     */
    public static KubeletRoot effective(Optional<KubeletRoot> running, String configured) {
        if (running.isEmpty()) {
            return new KubeletRoot(configured, "the installer's setting (" + InstallerEnvironment.KUBELET_ROOT + ", from the policy's "
                    + "spec.installer.kubeletRootDir in the DaemonSet; default " + InstallerEnvironment.DEFAULT_KUBELET_ROOT
                    + "): no running kubelet's was read");
        }
        return running.get().path().equals(configured) ? running.get() : new KubeletRoot(running.get().path(), running.get().source()
                + "; the installer's setting " + configured + " is not what the running kubelet uses");
    }

    /** The top-level keys of a YAML mapping in document order, repeated keys kept (as k3s's yaml.MapSlice keeps them). */
    private static List<Map.Entry<String, JsonNode>> topLevel(ConfigFile file) throws InstallerException {
        List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
        try (JsonParser parser = YAML.createParser(file.text())) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return entries;
            }
            if (first != JsonToken.START_OBJECT) {
                throw new InstallerException(file.path() + " is not a YAML mapping of settings; k3s and RKE2 cannot read it either. "
                        + "Fix the file and the installer will retry");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                parser.nextToken();
                entries.add(Map.entry(key, parser.readValueAsTree()));
            }
        } catch (IOException e) {
            throw new InstallerException(file.path() + " is not valid YAML (" + e.getMessage().lines().findFirst().orElse("")
                    + "); the installer cannot tell the kubelet's --root-dir from its kubelet-arg. Fix the file and the installer will retry", e);
        }
        return entries;
    }

    private static List<String> strings(ConfigFile file, String key, JsonNode value) throws InstallerException {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return List.of();
        }
        if (value.isValueNode()) {
            return List.of(value.asText());
        }
        List<String> strings = new ArrayList<>();
        if (value.isArray()) {
            for (JsonNode item : value) {
                if (!item.isValueNode() || item.isNull()) {
                    strings = null;
                    break;
                }
                strings.add(item.asText());
            }
            if (strings != null) {
                return strings;
            }
        }
        throw new InstallerException(file.path() + " " + key + " must be a string or a list of strings such as root-dir=/data/kubelet; "
                + "fix the file and the installer will retry");
    }

    private KubeletRoots() {
    }
}
