package dev.stockade.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stockade.api.profile.Capabilities;
import dev.stockade.api.profile.HostPathRule;
import dev.stockade.api.profile.KernelIdentity;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.api.profile.SandboxProfile.Mode;
import dev.stockade.api.profile.SandboxProfile.SeccompLevel;
import dev.stockade.api.profile.SocketFamily;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a profile file as {@code Profiles.parse} does (unknown fields are an error, then
 * {@code resolved()}), but from the JSON tree by hand: Jackson's record binding spins annotation
 * proxies and method handles that cost about a third of the JVM's time on every container create.
 * A test checks that both readers agree and that every field of the record is read here.
 */
final class ProfileReader {

    static final Set<String> FIELDS = Set.of("mode", "allowedCapabilities", "seccomp", "allowedHostPaths", "allowedSysctls",
            "pidsLimit", "readOnlyRootFilesystem", "maskedPaths", "readonlyPaths", "kernelIdentity", "tripwireSyscalls",
            "allowedSocketFamilies", "maxRealtimePriority", "maxLockedMemoryBytes");

    static SandboxProfile read(JsonNode json) {
        object(json, "profile", FIELDS);
        return new SandboxProfile(
                enumValue(json.get("mode"), "mode", Mode::valueOf),
                capabilities(json.get("allowedCapabilities")),
                enumValue(json.get("seccomp"), "seccomp", SeccompLevel::valueOf),
                hostPaths(json.get("allowedHostPaths")),
                strings(json.get("allowedSysctls"), "allowedSysctls"),
                wholeNumber(json.get("pidsLimit"), "pidsLimit", 1, Long.MAX_VALUE),
                bool(json.get("readOnlyRootFilesystem"), "readOnlyRootFilesystem"),
                strings(json.get("maskedPaths"), "maskedPaths"),
                strings(json.get("readonlyPaths"), "readonlyPaths"),
                kernelIdentity(json.get("kernelIdentity")),
                strings(json.get("tripwireSyscalls"), "tripwireSyscalls"),
                socketFamilies(json.get("allowedSocketFamilies")),
                wholeNumber(json.get("maxRealtimePriority"), "maxRealtimePriority", 0, 99),
                wholeNumber(json.get("maxLockedMemoryBytes"), "maxLockedMemoryBytes", SandboxProfile.UNLIMITED_LOCKED_MEMORY,
                        Long.MAX_VALUE)).resolved();
    }

    private static void object(JsonNode node, String field, Set<String> known) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(field + " must be a JSON object");
        }
        node.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown field " + field + "." + name);
            }
        });
    }

    private static boolean absent(JsonNode node) {
        return node == null || node.isNull();
    }

    private static <E> E enumValue(JsonNode node, String field, Function<String, E> parse) {
        if (absent(node)) {
            return null;
        }
        if (!node.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string");
        }
        try {
            return parse.apply(node.asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " has no value " + node.asText());
        }
    }

    private static String text(JsonNode node, String field) {
        if (absent(node)) {
            return null;
        }
        if (!node.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string");
        }
        return node.asText();
    }

    /** allowedCapabilities: Linux capabilities only; a typo would allow nothing and say nothing. */
    private static List<String> capabilities(JsonNode node) {
        List<String> names = strings(node, "allowedCapabilities");
        for (String name : names == null ? List.<String>of() : names) {
            String bare = name.toUpperCase(java.util.Locale.ROOT).replaceFirst("^CAP_", "");
            if (!Capabilities.isKnown(bare)) {
                throw new IllegalArgumentException("allowedCapabilities: " + name + " is not a Linux capability");
            }
        }
        return names;
    }

    private static List<String> strings(JsonNode node, String field) {
        if (absent(node)) {
            return null;
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(field + " must be a list of strings");
        }
        List<String> values = new ArrayList<>();
        for (JsonNode element : node) {
            values.add(text(element, field + "[]"));
        }
        return values;
    }

    private static Boolean bool(JsonNode node, String field) {
        if (absent(node)) {
            return null;
        }
        if (!node.isBoolean()) {
            throw new IllegalArgumentException(field + " must be true or false");
        }
        return node.asBoolean();
    }

    /** The CRD's bounds, again: a profile file written by hand must not get past them (pidsLimit 0 is no limit to runc). */
    private static Long wholeNumber(JsonNode node, String field, long min, long max) {
        if (absent(node)) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < min || node.asLong() > max) {
            throw new IllegalArgumentException(field + " must be a whole number from " + min + (max == Long.MAX_VALUE ? " up" : " to " + max)
                    + ", not " + node);
        }
        return node.asLong();
    }

    private static List<HostPathRule> hostPaths(JsonNode node) {
        if (absent(node)) {
            return null;
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("allowedHostPaths must be a list");
        }
        List<HostPathRule> rules = new ArrayList<>();
        for (JsonNode rule : node) {
            object(rule, "allowedHostPaths[]", Set.of("path", "readOnly"));
            rules.add(new HostPathRule(text(rule.get("path"), "allowedHostPaths[].path"), bool(rule.get("readOnly"), "allowedHostPaths[].readOnly")));
        }
        return rules;
    }

    private static List<SocketFamily> socketFamilies(JsonNode node) {
        List<String> names = strings(node, "allowedSocketFamilies");
        if (names == null) {
            return null;
        }
        List<SocketFamily> families = new ArrayList<>();
        for (String name : names) {
            try {
                families.add(SocketFamily.valueOf(name));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("allowedSocketFamilies has no value " + name + "; the kernel's names are "
                        + Arrays.stream(SocketFamily.values()).map(Enum::name).toList());
            }
        }
        return families;
    }

    private static KernelIdentity kernelIdentity(JsonNode node) {
        if (absent(node)) {
            return null;
        }
        object(node, "kernelIdentity", Set.of("sysname", "release", "version", "machine"));
        return new KernelIdentity(text(node.get("sysname"), "kernelIdentity.sysname"), text(node.get("release"), "kernelIdentity.release"),
                text(node.get("version"), "kernelIdentity.version"), text(node.get("machine"), "kernelIdentity.machine"));
    }

    private ProfileReader() {
    }
}
