package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The hooks a container engine adds to its own containers, exactly as it writes them. A hook runs
 * as root in the host's namespaces, so an engine's binary is no safer than any other program when
 * the spec chooses its arguments or environment ({@code containerd --config …} starts a daemon of
 * the spec's choosing): only the whole shape is trusted.
 *
 * <p>Docker's network set-up is the only such hook: moby's daemon/oci_linux.go (WithLibnetwork,
 * Docker 20.10 on) adds a prestart hook running {@code /proc/<dockerd's pid>/exe} with
 * {@code libnetwork-setkey -exec-root=<exec root> <container id> <controller id>}, the container
 * id being 64 hex digits and the controller's id cut to 12 by stringid.TruncateID. Newer
 * Docker also passes the W3C trace context, TRACEPARENT, in the hook's environment. containerd
 * (CRI) and CRI-O add no hook of their own.
 */
final class EngineHooks {

    static final Set<String> SYSTEM_BINARY_DIRECTORIES = Set.of("/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin");

    private static final Pattern EXEC_ROOT = Pattern.compile("-exec-root=(/[^\\x00]*)");
    private static final Pattern CONTAINER_ID = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHORT_CONTROLLER_ID = Pattern.compile("[0-9a-f]{12}");
    private static final Pattern TRACE_PARENT = Pattern.compile("TRACEPARENT=00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

    /** Docker's network hook, for messages. */
    static final String DOCKER_NETWORK_HOOK =
            "Docker's prestart hook dockerd libnetwork-setkey -exec-root=<directory> <64-hex container id> <12-hex controller id>";

    /**
     * Why {@code hook} (of kind {@code kind}, its program really {@code realProgram}) is not
     * Docker's network hook, or empty when it is.
     */
    static Optional<String> dockerNetworkHookMismatch(String kind, JsonNode hook, String realProgram) {
        Path program = Path.of(realProgram);
        if (program.getParent() == null || !SYSTEM_BINARY_DIRECTORIES.contains(program.getParent().toString())
                || !program.getFileName().toString().equals("dockerd")) {
            return Optional.of("its program is not dockerd in a system binary directory");
        }
        if (!kind.equals("prestart")) {
            return Optional.of("it is a " + kind + " hook");
        }
        List<String> args = hook.path("args").valueStream().map(JsonNode::asText).toList();
        if (args.size() != 4 || !args.get(0).equals("libnetwork-setkey") || !isExecRoot(args.get(1))
                || !CONTAINER_ID.matcher(args.get(2)).matches() || !SHORT_CONTROLLER_ID.matcher(args.get(3)).matches()) {
            return Optional.of("its arguments differ");
        }
        JsonNode environment = hook.path("env");
        if (!environment.isMissingNode() && !environment.isNull() && !environment.isArray()) {
            return Optional.of("its env is not a list");
        }
        for (JsonNode variable : environment) {
            if (!TRACE_PARENT.matcher(variable.asText()).matches()) {
                return Optional.of("its environment sets " + variable.asText().replaceFirst("=.*", "") + ", not only TRACEPARENT");
            }
        }
        return Optional.empty();
    }

    private static boolean isExecRoot(String argument) {
        var matcher = EXEC_ROOT.matcher(argument);
        return matcher.matches() && Path.of(matcher.group(1)).normalize().toString().equals(matcher.group(1));
    }

    private EngineHooks() {
    }
}
