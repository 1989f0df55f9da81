package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.runtime.json.JsonTrees;
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
    private static final String EAFNOSUPPORT = "errno 97";
    private static final String EPROTONOSUPPORT = "errno 93";
    private static final long AF_UNIX = 1;
    private static final long AF_INET = 2;
    private static final long AF_INET6 = 10;
    private static final long AF_NETLINK = 16;
    private static final long AF_PACKET = 17;
    private static final long AF_VSOCK = 40;
    private static final long NETLINK_ROUTE = 0;
    private static final long NETLINK_SOCK_DIAG = 4;
    private static final long NETLINK_AUDIT = 9;

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

    /** Family values the tests try: every number up to past AF_MAX, and values with the upper half set. */
    private static List<Long> familyValues() {
        List<Long> values = new ArrayList<>();
        for (long value = 0; value < 300; value++) {
            values.add(value);
        }
        values.addAll(List.of(0x1_0000_0000L | AF_VSOCK, 0x1_0000_0000L | AF_INET, 0xffff_ffffL, -1L, Long.MIN_VALUE, 0x7fff_ffff_ffff_ffffL));
        return values;
    }

    @Test
    void onlyUnixInetInet6AndNetlinkRoutingSocketsOpenByDefaultAndTheRestFailAsOnAKernelWithoutThem() {
        ObjectNode seccomp = allowlist("{}");
        for (String call : List.of("socket", "socketpair")) {
            for (long family : familyValues()) {
                String expected = family == AF_UNIX || family == AF_INET || family == AF_INET6 ? ALLOW
                        : family == AF_NETLINK ? EPROTONOSUPPORT : EAFNOSUPPORT;
                assertEquals(expected, answer(seccomp, call, family, 1, 1), call + " family " + Long.toHexString(family));
            }
            for (long protocol : familyValues()) {
                assertEquals(protocol == NETLINK_ROUTE ? ALLOW : EPROTONOSUPPORT, answer(seccomp, call, AF_NETLINK, 3, protocol),
                        call + " netlink protocol " + Long.toHexString(protocol));
            }
        }
        assertFalse(unconditionallyAllowed(seccomp).contains("socket"));
    }

    @Test
    void aProfileAllowsMoreFamiliesAndNetlinkProtocolsByTheKernelsNames() {
        ObjectNode seccomp = allowlist("{\"allowedSocketFamilies\":[\"AF_VSOCK\",\"AF_PACKET\",\"NETLINK_AUDIT\"]}");
        assertEquals(ALLOW, answer(seccomp, "socket", AF_VSOCK, 1, 0));
        assertEquals(ALLOW, answer(seccomp, "socket", AF_PACKET, 2, 0));
        assertEquals(ALLOW, answer(seccomp, "socket", AF_NETLINK, 3, NETLINK_AUDIT));
        assertEquals(ALLOW, answer(seccomp, "socket", AF_NETLINK, 3, NETLINK_ROUTE));
        assertEquals(EPROTONOSUPPORT, answer(seccomp, "socket", AF_NETLINK, 3, NETLINK_SOCK_DIAG));
        assertEquals(EAFNOSUPPORT, answer(seccomp, "socket", 38, 5, 0), "AF_ALG was not named");
        assertEquals(EAFNOSUPPORT, answer(seccomp, "socket", 0x1_0000_0000L | AF_VSOCK, 1, 0), "only the value itself opens");
    }

    @Test
    void afNetlinkOpensEveryNetlinkProtocol() {
        ObjectNode seccomp = allowlist("{\"allowedSocketFamilies\":[\"AF_NETLINK\"]}");
        for (long protocol : List.of(NETLINK_ROUTE, NETLINK_SOCK_DIAG, NETLINK_AUDIT, 12L, 31L)) {
            assertEquals(ALLOW, answer(seccomp, "socket", AF_NETLINK, 3, protocol));
        }
        assertEquals(EAFNOSUPPORT, answer(seccomp, "socket", AF_VSOCK, 1, 0));
    }

    /** runc reads the arguments as unsigned 64-bit numbers: a negative one would fail to load. */
    @Test
    void everyArgumentValueIsWrittenAsAnUnsignedNumber() throws Exception {
        JsonNode written = JsonTrees.read(new String(JsonTrees.write(allowlist("{}")), java.nio.charset.StandardCharsets.UTF_8));
        for (JsonNode rule : written.get("syscalls")) {
            for (JsonNode condition : rule.path("args")) {
                for (String field : List.of("value", "valueTwo")) {
                    assertTrue(condition.path(field).isMissingNode() || condition.get(field).bigIntegerValue().signum() >= 0, condition.toString());
                }
            }
        }
        assertTrue(written.toString().contains("18446744073709551584"), "the mask of a block of 32 values");
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
    void strictKeepsTheSameSocketFamiliesAndCapabilityRules() {
        ObjectNode strict = allowlist("{\"seccomp\":\"Strict\"}", "CAP_SYS_CHROOT");
        assertEquals(EAFNOSUPPORT, answer(strict, "socket", AF_VSOCK, 1, 0));
        assertEquals(ALLOW, answer(strict, "socket", AF_INET, 1, 0));
        assertEquals(ALLOW, answer(strict, "chroot"));
        assertEquals(EPERM, answer(strict, "modify_ldt"));
    }

    @Test
    void theCapabilitiesCountInEverySetOfTheSpec() throws Exception {
        JsonNode capabilities = Specs.JSON.readTree("{\"bounding\":[\"CAP_CHOWN\"],\"effective\":[\"SYS_CHROOT\"]}");
        assertEquals(ALLOW, answer(SeccompProfiles.allowlist(SandboxProfile.defaults(), capabilities, "amd64"), "chroot"));
        assertEquals(EPERM, answer(SeccompProfiles.allowlist(SandboxProfile.defaults(), Specs.JSON.readTree("{}"), "amd64"), "chroot"));
    }

    // ---- a pod's own profile narrows ours ----

    private static ObjectNode narrowed(String profile, String theirs) throws Exception {
        return SeccompProfiles.narrowedBy(allowlist(profile), Specs.JSON.readTree(theirs));
    }

    /** Docker's default (and CRI-O's) allows socket for every family but AF_VSOCK. */
    @Test
    void aFamilyTheProfileAllowsStaysDeniedWhereThePodsProfileDeniesIt() throws Exception {
        ObjectNode seccomp = narrowed("{\"allowedSocketFamilies\":[\"AF_VSOCK\",\"AF_PACKET\"]}", """
                {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                  {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]}]}
                """);
        assertEquals(ALLOW, answer(seccomp, "socket", AF_PACKET, 2, 0));
        assertEquals(ALLOW, answer(seccomp, "socket", AF_INET, 1, 0));
        assertEquals(ALLOW, answer(seccomp, "socket", AF_NETLINK, 3, NETLINK_ROUTE));
        assertEquals(EPERM, answer(seccomp, "socket", AF_VSOCK, 1, 0), "their refusal wins over our profile's allowance");
        assertEquals(EAFNOSUPPORT, answer(seccomp, "socket", 38, 5, 0), "our own refusals stay");
        assertEquals(EPERM, answer(seccomp, "socketpair", AF_UNIX, 1, 0), "they do not allow socketpair");
    }

    @Test
    void theirConditionsOnOtherArgumentsAreAddedToOurFamilies() throws Exception {
        ObjectNode seccomp = narrowed("{}", """
                {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                  {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
                                                                               {"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]}]}
                """);
        assertEquals(ALLOW, answer(seccomp, "socket", AF_INET, 1, 0), "TCP over IPv4, what both allow");
        assertEquals(EPERM, answer(seccomp, "socket", AF_INET, 2, 0), "UDP: they do not allow it");
        assertEquals(EPERM, answer(seccomp, "socket", AF_INET6, 1, 0));
        assertEquals(EPERM, answer(seccomp, "socket", AF_NETLINK, 3, NETLINK_ROUTE));
    }

    /** runc turns two conditions on one argument into two rules (an OR), so theirs allows both values. */
    @Test
    void theirRuleWithTwoConditionsOnOneArgumentIsReadAsRuncReadsIt() throws Exception {
        ObjectNode seccomp = narrowed("{}", """
                {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                  {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                                                                               {"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]}]}
                """);
        assertEquals(ALLOW, answer(seccomp, "socket", AF_UNIX, 1, 0));
        assertEquals(ALLOW, answer(seccomp, "socket", AF_INET6, 1, 0));
        assertEquals(EPERM, answer(seccomp, "socket", AF_INET, 1, 0));
    }

    @Test
    void aCallTheirProfileDeniesOutrightTakesTheirAnswerForEveryArgument() throws Exception {
        ObjectNode seccomp = narrowed("{}", """
                {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
                """);
        for (long family : List.of(AF_UNIX, AF_NETLINK, AF_VSOCK)) {
            assertEquals("errno 38", answer(seccomp, "socket", family, 1, 0));
        }
        assertEquals(ALLOW, answer(seccomp, "socketpair", AF_UNIX, 1, 0), "socketpair is theirs to allow");
        assertEquals(EAFNOSUPPORT, answer(seccomp, "socketpair", AF_VSOCK, 1, 0));
    }

    @Test
    void personalityKeepsOurValuesWhereTheirsAllowsThem() throws Exception {
        ObjectNode seccomp = narrowed("{}", """
                {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                  {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
                  {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}
                """);
        assertEquals(ALLOW, answer(seccomp, "personality", 0));
        assertEquals(EPERM, answer(seccomp, "personality", 8), "theirs alone allows it");
        assertEquals(EPERM, answer(seccomp, "personality", 0xffffffffL), "ours alone allows it");
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
