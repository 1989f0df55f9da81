package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SeccompProfilesTest {

    private static final String KERNEL = "6.18.44-fc-v657";
    private static final String ALLOW = "allow";
    private static final String EPERM = "errno 1";

    private static ObjectNode allowlist(String profile, String... capabilities) {
        return SeccompProfiles.allowlist(Specs.profile(profile), Set.of(capabilities), "amd64", KERNEL);
    }

    /**
     * What the filter answers for a call, as the kernel would: the action of the one rule whose
     * conditions all hold, else the default. Fails when two rules match: the allowlist must not
     * depend on how libseccomp orders rules that overlap.
     */
    private static String answer(JsonNode seccomp, String call, long... args) {
        List<JsonNode> matching = new ArrayList<>();
        for (JsonNode rule : seccomp.get("syscalls")) {
            boolean named = rule.get("names").valueStream().anyMatch(name -> name.asText().equals(call));
            Set<Integer> indexes = new HashSet<>();
            boolean holds = true;
            for (JsonNode condition : rule.path("args")) {
                assertTrue(indexes.add(condition.get("index").asInt()), "runc would split (OR) a rule with two conditions on one argument: " + rule);
                int index = condition.get("index").asInt();
                holds &= SeccompProfiles.holds(condition, index < args.length ? args[index] : 0);
            }
            if (named && holds) {
                matching.add(rule);
            }
        }
        assertTrue(matching.size() <= 1, call + " " + List.of(args) + " matches " + matching);
        if (matching.isEmpty()) {
            return "errno " + seccomp.get("defaultErrnoRet").asInt();
        }
        JsonNode rule = matching.getFirst();
        return rule.get("action").asText().equals("SCMP_ACT_ALLOW") ? ALLOW
                : rule.get("action").asText().equals("SCMP_ACT_ERRNO") ? "errno " + rule.get("errnoRet").asInt() : rule.get("action").asText();
    }

    private static Set<String> unconditionallyAllowed(JsonNode seccomp) {
        Set<String> names = new HashSet<>();
        for (JsonNode rule : seccomp.get("syscalls")) {
            if (rule.get("action").asText().equals("SCMP_ACT_ALLOW") && rule.path("args").isEmpty()) {
                rule.get("names").forEach(name -> names.add(name.asText()));
            }
        }
        return names;
    }

    @Test
    void callsOrdinaryProgramsMakeAreAllowedByDefault() {
        Set<String> allowed = unconditionallyAllowed(allowlist("{}"));
        for (String call : List.of("get_mempolicy", "set_mempolicy", "mbind", "set_mempolicy_home_node", "pkey_alloc", "pkey_mprotect",
                "pkey_free", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "name_to_handle_at")) {
            assertTrue(allowed.contains(call), call);
        }
        for (String call : List.of("migrate_pages", "move_pages", "open_by_handle_at", "io_uring_setup", "memfd_secret", "process_mrelease")) {
            assertFalse(allowed.contains(call), call);
        }
    }

    @Test
    void chrootFollowsSysChroot() {
        assertEquals(EPERM, answer(allowlist("{}"), "chroot"));
        assertEquals(ALLOW, answer(allowlist("{}", "CAP_SYS_CHROOT"), "chroot"));
    }

    /** Before Linux 4.8 a tracer could change a call after seccomp had allowed it. */
    @Test
    void ptraceFollowsSysPtraceOnKernelsFromFourEightOn() {
        SandboxProfile profile = SandboxProfile.defaults();
        for (String call : List.of("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise")) {
            assertEquals(EPERM, answer(allowlist("{}"), call), call);
            assertEquals(ALLOW, answer(allowlist("{}", "CAP_SYS_PTRACE"), call), call);
            for (String oldOrUnknown : List.of("4.4.0-210-generic", "3.10.0-1160.el7.x86_64", "", "unknown")) {
                assertEquals(EPERM, answer(SeccompProfiles.allowlist(profile, Set.of("CAP_SYS_PTRACE"), "amd64", oldOrUnknown), call),
                        call + " on " + oldOrUnknown);
            }
            assertEquals(ALLOW, answer(SeccompProfiles.allowlist(profile, Set.of("CAP_SYS_PTRACE"), "amd64", "4.8.0"), call));
        }
    }

    @Test
    void rebootAcctAndVhangupFollowTheirCapabilities() {
        assertEquals(ALLOW, answer(allowlist("{}", "CAP_SYS_BOOT"), "reboot"));
        assertEquals(ALLOW, answer(allowlist("{}", "CAP_SYS_PACCT"), "acct"));
        assertEquals(ALLOW, answer(allowlist("{}", "CAP_SYS_TTY_CONFIG"), "vhangup"));
        for (String call : List.of("reboot", "acct", "vhangup")) {
            assertEquals(EPERM, answer(allowlist("{}"), call), call);
        }
        assertEquals(EPERM, answer(allowlist("{}", "CAP_SYS_BOOT"), "kexec_load"), "SYS_BOOT never loads a kernel");
    }

    /** Docker allows these with their capability; here no capability opens them. */
    @Test
    void callsThatReachPastTheContainerStayDeniedWithEveryCapability() {
        ObjectNode seccomp = allowlist("{}", Specs.ALL_CAPABILITIES.toArray(String[]::new));
        SeccompProfiles.NEVER_WITH_CAPABILITY.forEach((capability, calls) -> calls.forEach(call ->
                assertEquals(EPERM, answer(seccomp, call), call + " with " + capability)));
        assertEquals(ALLOW, answer(seccomp, "clone", 0x11), "clone without namespace flags");
        assertEquals(EPERM, answer(seccomp, "clone", 0x10000000L), "CLONE_NEWUSER even with SYS_ADMIN");
        assertEquals("errno 38", answer(seccomp, "clone3"));
        assertEquals(ALLOW, answer(seccomp, "ptrace"), "the calls that stay inside the container do follow");
    }

    @Test
    void theClocksStateIsReadableUnlessTheContainerCouldSetTheClock() {
        assertEquals(ALLOW, answer(allowlist("{}"), "adjtimex"));
        assertEquals(ALLOW, answer(allowlist("{}"), "clock_adjtime"));
        assertEquals(EPERM, answer(allowlist("{}", "CAP_SYS_TIME"), "adjtimex"));
        assertEquals(EPERM, answer(allowlist("{}", "CAP_SYS_TIME"), "clock_adjtime"));
    }

    @Test
    void strictKeepsTheCapabilityRules() {
        ObjectNode strict = allowlist("{\"seccomp\":\"Strict\"}", "CAP_SYS_CHROOT");
        assertEquals(ALLOW, answer(strict, "chroot"));
        assertEquals(EPERM, answer(strict, "modify_ldt"));
    }

    @Test
    void theCapabilitiesCountInEverySetOfTheSpec() throws Exception {
        JsonNode capabilities = Specs.JSON.readTree("{\"bounding\":[\"CAP_CHOWN\"],\"effective\":[\"SYS_CHROOT\"]}");
        assertEquals(ALLOW, answer(SeccompProfiles.allowlist(SandboxProfile.defaults(), capabilities, "amd64"), "chroot"));
        assertEquals(EPERM, answer(SeccompProfiles.allowlist(SandboxProfile.defaults(), Specs.JSON.readTree("{}"), "amd64"), "chroot"));
    }

    @Test
    void conditionsHoldAsTheKernelComparesUnsigned64BitValues() throws Exception {
        JsonNode masked = Specs.JSON.readTree("{\"index\":0,\"value\":18446744073709551584,\"valueTwo\":32,\"op\":\"SCMP_CMP_MASKED_EQ\"}");
        assertTrue(SeccompProfiles.holds(masked, 32) && SeccompProfiles.holds(masked, 63));
        assertFalse(SeccompProfiles.holds(masked, 31) || SeccompProfiles.holds(masked, 64) || SeccompProfiles.holds(masked, 0x1_0000_0020L));
        JsonNode atLeast = Specs.JSON.readTree("{\"index\":0,\"value\":64,\"op\":\"SCMP_CMP_GE\"}");
        assertTrue(SeccompProfiles.holds(atLeast, -1L), "-1 is the largest unsigned value");
        assertFalse(SeccompProfiles.holds(atLeast, 63));
    }
}
