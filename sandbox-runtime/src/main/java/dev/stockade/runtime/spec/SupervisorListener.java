package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.node.CriAnnotations;
import dev.stockade.api.node.ListenerMetadata;
import dev.stockade.api.profile.KernelIdentity;
import dev.stockade.api.profile.SandboxProfile;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Routes a profile's supervised syscalls to the node's Stockade supervisor (issue 5): uname when
 * the profile sets a kernel identity, and its tripwire syscalls, become SCMP_ACT_NOTIFY rules on
 * the hardened seccomp allowlist, with {@code listenerPath} and a {@code listenerMetadata}
 * ({@link ListenerMetadata}) naming the pod. Only when the supervisor answers: otherwise the container is refused (fail closed),
 * because runc would either fail obscurely or the calls would return ENOSYS.
 */
public final class SupervisorListener {

    /** The rest of runc's message: ids, bundle path, pid, status, field names; generous. */
    static final int LISTENER_MESSAGE_OVERHEAD_BYTES = 64 << 10;

    /** Whether something accepts connections on the supervisor's socket. */
    public interface Probe {
        boolean answers(String socketPath);
    }

    /** Connects and closes: the supervisor treats an empty connection as this probe. */
    public static boolean answers(String socketPath) {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(Path.of(socketPath)))) {
            return channel.isConnected();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Adds the notify rules and the listener to {@code spec}, whose {@code linux.seccomp} the
     * hardener has set. Does nothing for a profile that does not need the supervisor.
     */
    public static void attach(ObjectNode spec, SandboxProfile profile, String profileName, String policy, String socketPath,
                              Probe probe) throws Refusal {
        if (!profile.needsSupervisor()) {
            return;
        }
        JsonNode seccompNode = spec.path("linux").path("seccomp");
        if (!(seccompNode instanceof ObjectNode seccomp)) {
            throw new Refusal("linux.seccomp", "supervisor-required", "the hardened spec has no seccomp object to route calls from");
        }
        Set<String> notified = notifiedSyscalls(profile, profileName, seccomp);
        if (!probe.answers(socketPath)) {
            throw new Refusal("profile " + profileName, "supervisor-required",
                    "the profile sets kernelIdentity or tripwireSyscalls, which need the Stockade supervisor, but nothing answers on "
                            + socketPath + "; start it (stockade-supervisor run) or remove those fields from the profile. "
                            + "The container is refused rather than run without it");
        }
        String metadata = metadata(spec, profile.kernelIdentity(), profileName, policy).toJson();
        long messageBytes = listenerMessageBytes(spec.path("annotations"), metadata);
        // A larger message the supervisor would drop, and the container run unanswered.
        if (messageBytes > ListenerMetadata.MAX_MESSAGE_BYTES) {
            throw new Refusal("annotations", "supervisor-required", "the container's annotations make runc's message to the Stockade "
                    + "supervisor up to " + messageBytes + " bytes, more than the " + ListenerMetadata.MAX_MESSAGE_BYTES + " it reads; "
                    + "remove large annotations or use a profile without kernelIdentity and tripwireSyscalls. "
                    + "The container is refused rather than run without the supervisor");
        }
        ArrayNode rules = (ArrayNode) seccomp.get("syscalls");
        ObjectNode notify = rules.addObject();
        notified.forEach(notify.putArray("names")::add);
        notify.put("action", "SCMP_ACT_NOTIFY");
        // runc refuses SCMP_ACT_NOTIFY together with any seccomp flags.
        seccomp.remove("flags");
        seccomp.put("listenerPath", socketPath);
        seccomp.put("listenerMetadata", metadata);
    }

    /** At most how large runc's listener message is: annotations and metadata as Go's JSON encoder writes them. */
    static long listenerMessageBytes(JsonNode annotations, String metadata) {
        long bytes = LISTENER_MESSAGE_OVERHEAD_BYTES + goJsonBytes(metadata);
        for (var annotation : annotations.properties()) {
            bytes += goJsonBytes(annotation.getKey()) + goJsonBytes(annotation.getValue().asText()) + 2;
        }
        return bytes;
    }

    /** A string's size as a quoted Go JSON string, at most: Go escapes <, >, & and U+2028/9 as six bytes. */
    static long goJsonBytes(String text) {
        long bytes = 2;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            bytes += c == '"' || c == '\\' ? 2
                    : c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c) ? 6
                    : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        }
        return bytes;
    }

    /**
     * uname (when emulated) and the tripwires, taken out of the allowlist's rules. A tripwire the
     * allowlist allows would be denied to every program, and runc cannot route write: both refused.
     */
    static Set<String> notifiedSyscalls(SandboxProfile profile, String profileName, ObjectNode seccomp) throws Refusal {
        Set<String> allowed = new LinkedHashSet<>();
        for (JsonNode rule : seccomp.path("syscalls")) {
            if (rule.path("action").asText().equals("SCMP_ACT_ALLOW")) {
                rule.path("names").forEach(name -> allowed.add(name.asText()));
            }
        }
        Set<String> notified = new LinkedHashSet<>();
        if (profile.kernelIdentity() != null) {
            notified.add("uname");
        }
        for (String tripwire : profile.tripwireSyscalls()) {
            if (tripwire.equals("write")) {
                throw new Refusal("profile " + profileName + " tripwireSyscalls", "tripwire",
                        "lists write, which runc cannot route to a seccomp agent; remove it from the policy's tripwireSyscalls");
            }
            if (allowed.contains(tripwire)) {
                throw new Refusal("profile " + profileName + " tripwireSyscalls", "tripwire",
                        "lists " + tripwire + ", which the profile's seccomp allowlist allows: as a tripwire it would be denied to every "
                                + "program. List only calls the profile denies (mount, unshare, keyctl, bpf, ptrace…)");
            }
            notified.add(tripwire);
        }
        ArrayNode rules = (ArrayNode) seccomp.get("syscalls");
        for (int r = rules.size() - 1; r >= 0; r--) {
            if (rules.get(r).get("names") instanceof ArrayNode names) {
                for (int i = names.size() - 1; i >= 0; i--) {
                    if (notified.contains(names.get(i).asText())) {
                        names.remove(i);
                    }
                }
                if (names.isEmpty()) {
                    rules.remove(r);
                }
            }
        }
        return notified;
    }

    /** What the supervisor reads back: who the container is, and what uname answers. */
    static ListenerMetadata metadata(JsonNode spec, KernelIdentity identity, String profileName, String policy) {
        JsonNode annotations = spec.path("annotations");
        UnaryOperator<String> annotation = key -> annotations.path(key).asText("");
        return new ListenerMetadata(policy, profileName, CriAnnotations.first(annotation, CriAnnotations.POD_NAMESPACE),
                CriAnnotations.first(annotation, CriAnnotations.POD_NAME), CriAnnotations.first(annotation, CriAnnotations.CONTAINER_NAME),
                identity);
    }

    private SupervisorListener() {
    }
}
