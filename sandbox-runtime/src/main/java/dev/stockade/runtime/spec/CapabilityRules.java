package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Capabilities against the profile's allowed set. The capabilities every container runtime gives a
 * container by default are dropped silently when the profile does not allow them; anything else
 * not allowed was asked for on purpose (securityContext.capabilities.add, privileged) and refused.
 */
final class CapabilityRules {

    /** containerd's and Docker's default set. */
    static final Set<String> RUNTIME_DEFAULTS = Set.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
            "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    static final List<String> SETS = List.of("bounding", "effective", "permitted", "inheritable", "ambient");

    private final Set<String> allowed;
    private final String profileName;

    CapabilityRules(Collection<String> allowedWithoutPrefix, String profileName) {
        this.allowed = allowedWithoutPrefix.stream().map(CapabilityRules::withPrefix).collect(Collectors.toSet());
        this.profileName = profileName;
    }

    static String withPrefix(String capability) {
        String upper = capability.toUpperCase(java.util.Locale.ROOT);
        return upper.startsWith("CAP_") ? upper : "CAP_" + upper;
    }

    /** Refuses capabilities asked for beyond the allowed set, in every set of {@code capabilities}. */
    void check(JsonNode capabilities, String field) throws Refusal {
        if (capabilities == null || !capabilities.isObject()) {
            return;
        }
        for (String set : SETS) {
            for (JsonNode capability : capabilities.path(set)) {
                check(capability.asText(), field + "." + set);
            }
        }
    }

    void check(String capability, String field) throws Refusal {
        String name = withPrefix(capability);
        if (!allowed.contains(name) && !RUNTIME_DEFAULTS.contains(name)) {
            throw new Refusal(field, "capabilities",
                    name + " is not in the allowed capabilities of sandbox profile " + profileName + " "
                            + allowed.stream().sorted().toList()
                            + "; remove it from the container's securityContext.capabilities.add or use a runtime class whose profile allows it");
        }
    }

    /** Keeps only allowed capabilities in every set; a missing set stays missing. */
    void reduce(ObjectNode capabilities) {
        for (String set : SETS) {
            JsonNode present = capabilities.get(set);
            if (present instanceof ArrayNode array) {
                ArrayNode kept = capabilities.putArray(set);
                for (JsonNode capability : array) {
                    if (allowed.contains(withPrefix(capability.asText()))) {
                        kept.add(withPrefix(capability.asText()));
                    }
                }
            }
        }
    }
}
