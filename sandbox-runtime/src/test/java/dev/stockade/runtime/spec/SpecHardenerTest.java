package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.stockade.runtime.spec.Specs.PLAIN_HOST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecHardenerTest {

    private static ObjectNode hardened(SandboxProfile profile, ObjectNode spec) throws Refusal {
        SpecValidator validator = new SpecValidator(profile, "p", PLAIN_HOST);
        new SpecHardener(profile, validator, "p", "amd64").harden(spec, validator.validate(spec, Specs.BUNDLE, Specs.ID));
        return spec;
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(node.asText()));
        return values;
    }

    private static Set<String> allowedSyscalls(JsonNode seccomp) {
        Set<String> names = new HashSet<>();
        for (JsonNode rule : seccomp.get("syscalls")) {
            if (rule.get("action").asText().equals("SCMP_ACT_ALLOW") && rule.get("args") == null) {
                names.addAll(texts(rule.get("names")));
            }
        }
        return names;
    }

    @Test
    void defaultCapabilitiesAreReducedToTheProfilesSetInEverySet() throws Refusal {
        ObjectNode spec = hardened(SandboxProfile.defaults(), Specs.app());
        for (String set : List.of("bounding", "effective", "permitted")) {
            List<String> capabilities = texts(spec.get("process").get("capabilities").get(set));
            assertFalse(capabilities.contains("CAP_NET_RAW"), set);
            assertFalse(capabilities.contains("CAP_MKNOD"), set);
            assertFalse(capabilities.contains("CAP_SYS_CHROOT"), set);
            assertFalse(capabilities.contains("CAP_AUDIT_WRITE"), set);
            assertTrue(capabilities.contains("CAP_CHOWN"), set);
        }
    }

    @Test
    void noNewPrivilegesIsSet() throws Refusal {
        assertTrue(hardened(SandboxProfile.defaults(), Specs.app()).get("process").get("noNewPrivileges").asBoolean());
    }

    @Test
    void seccompIsDenyByDefaultNativeOnlyAndLeavesOutEscapeSyscalls() throws Refusal {
        JsonNode seccomp = hardened(SandboxProfile.defaults(), Specs.app()).get("linux").get("seccomp");
        assertEquals("SCMP_ACT_ERRNO", seccomp.get("defaultAction").asText());
        assertEquals(List.of("SCMP_ARCH_X86_64"), texts(seccomp.get("architectures")));
        Set<String> allowed = allowedSyscalls(seccomp);
        assertTrue(allowed.containsAll(Set.of("read", "write", "openat", "execve", "futex", "wait4")));
        for (String escape : List.of("mount", "umount2", "pivot_root", "unshare", "setns", "keyctl", "add_key", "request_key",
                "bpf", "ptrace", "process_vm_readv", "process_vm_writev", "perf_event_open", "userfaultfd", "io_uring_setup",
                "io_uring_enter", "open_by_handle_at", "init_module", "finit_module", "delete_module",
                "kexec_load", "kexec_file_load", "reboot", "settimeofday", "clock_settime",
                "swapon", "swapoff", "chroot", "acct", "fsopen", "fsmount", "move_mount", "open_tree", "fanotify_init",
                "personality", "clone", "clone3")) {
            assertFalse(allowed.contains(escape), escape + " must not be allowed unconditionally");
        }
    }

    private static List<JsonNode> rulesFor(JsonNode seccomp, String name) {
        List<JsonNode> rules = new ArrayList<>();
        seccomp.get("syscalls").forEach(rule -> {
            if (texts(rule.get("names")).contains(name)) {
                rules.add(rule);
            }
        });
        return rules;
    }

    /** A pod's RuntimeDefault or Localhost profile (deny by default) only ever narrows the sandbox's. */
    @Test
    void aPodsOwnAllowlistNarrowsOurs() throws Exception {
        ObjectNode spec = Specs.app();
        ((ObjectNode) spec.get("linux")).set("seccomp", Specs.JSON.readTree("""
                {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
                  {"names": ["read", "write", "exit_group", "mount"], "action": "SCMP_ACT_ALLOW"},
                  {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
                  {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]},
                  {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
                """));
        JsonNode seccomp = hardened(SandboxProfile.defaults(), spec).get("linux").get("seccomp");
        assertEquals(Set.of("read", "write", "exit_group"), allowedSyscalls(seccomp), "only what both allow outright");
        assertEquals(List.of("SCMP_ARCH_X86_64"), texts(seccomp.get("architectures")), "still the native architecture only");
        assertTrue(rulesFor(seccomp, "socket").stream().filter(rule -> rule.get("action").asText().equals("SCMP_ACT_ALLOW"))
                        .allMatch(rule -> rule.get("args").get(0).get("value").asLong() != 40),
                "socket: our families, as far as their condition (not AF_VSOCK) allows them");
        assertEquals(0, rulesFor(seccomp, "clone").getFirst().get("args").get(0).get("valueTwo").asLong(),
                "where both condition clone, ours stays");
        assertEquals(38, rulesFor(seccomp, "mkdir").getFirst().get("errnoRet").asInt(), "their ENOSYS for mkdir stays");
        assertEquals(List.of(), rulesFor(seccomp, "mount"), "what only they allow stays denied");
        assertEquals(List.of(), rulesFor(seccomp, "personality"), "what they do not mention is denied");
        assertEquals("SCMP_ACT_ERRNO", rulesFor(seccomp, "clone3").getFirst().get("action").asText());
    }

    /** A denylist-style profile (allow by default): its refusals stay refusals. */
    @Test
    void aPodsOwnDenylistNarrowsOurs() throws Exception {
        ObjectNode spec = Specs.app();
        ((ObjectNode) spec.get("linux")).set("seccomp", Specs.JSON.readTree("""
                {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                  {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                  {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                  {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]}]}
                """));
        JsonNode seccomp = hardened(SandboxProfile.defaults(), spec).get("linux").get("seccomp");
        Set<String> allowed = allowedSyscalls(seccomp);
        assertTrue(allowed.containsAll(Set.of("read", "openat", "execve")), "the rest of our allowlist stays");
        assertFalse(allowed.contains("mkdir") || allowed.contains("chmod") || allowed.contains("socket"));
        assertEquals(38, rulesFor(seccomp, "mkdir").getFirst().get("errnoRet").asInt());
        assertEquals(List.of(), rulesFor(seccomp, "chmod"), "a refusal equal to our default needs no rule of its own");
        assertEquals(List.of(), rulesFor(seccomp, "socket"), "denied for some arguments there: denied altogether here");
    }

    @Test
    void cloneIsAllowedOnlyWithoutNamespaceFlags() throws Refusal {
        JsonNode seccomp = hardened(SandboxProfile.defaults(), Specs.app()).get("linux").get("seccomp");
        JsonNode clone = null;
        for (JsonNode rule : seccomp.get("syscalls")) {
            if (texts(rule.get("names")).equals(List.of("clone"))) {
                clone = rule;
            }
        }
        JsonNode condition = clone.get("args").get(0);
        assertEquals("SCMP_CMP_MASKED_EQ", condition.get("op").asText());
        assertEquals(0x7E020000L, condition.get("value").asLong());
        assertEquals(0, condition.get("valueTwo").asLong());
    }

    @Test
    void strictTakesAwayLegacyCalls() throws Refusal {
        JsonNode strict = hardened(Specs.profile("{\"seccomp\":\"Strict\"}"), Specs.app()).get("linux").get("seccomp");
        assertFalse(allowedSyscalls(strict).contains("modify_ldt"));
        assertTrue(allowedSyscalls(strict).contains("read"));
    }

    @Test
    void maskedAndReadOnlyPathsAddDefaultsAndProfileExtras() throws Refusal {
        ObjectNode spec = Specs.privileged(Specs.app());
        ((ObjectNode) spec.get("process").get("capabilities")).putArray("bounding").add("CAP_CHOWN");
        ((ObjectNode) spec.get("process").get("capabilities")).putArray("effective").add("CAP_CHOWN");
        ((ObjectNode) spec.get("process").get("capabilities")).putArray("permitted").add("CAP_CHOWN");
        ((ObjectNode) spec.get("linux").get("resources")).putArray("devices");
        hardened(Specs.profile("{\"maskedPaths\":[\"/proc/cpuinfo\"],\"readonlyPaths\":[\"/proc/meminfo\"]}"), spec);
        List<String> masked = texts(spec.get("linux").get("maskedPaths"));
        assertTrue(masked.containsAll(List.of("/proc/kcore", "/proc/keys", "/sys/firmware", "/proc/cpuinfo")), masked.toString());
        assertTrue(texts(spec.get("linux").get("readonlyPaths")).containsAll(List.of("/proc/sys", "/proc/sysrq-trigger", "/proc/meminfo")));
    }

    /** With a kernel identity, /proc/version and osrelease would still name the host's kernel beside uname's answer. */
    @Test
    void aKernelIdentityMasksTheHostKernelsVersionFiles() throws Refusal {
        List<String> files = List.of("/proc/version", "/proc/sys/kernel/osrelease", "/proc/sys/kernel/version", "/proc/config.gz",
                "/proc/cmdline", "/sys/kernel/notes");
        List<String> withIdentity = texts(hardened(Specs.profile("{\"kernelIdentity\":{\"release\":\"4.4.0\"}}"), Specs.app())
                .get("linux").get("maskedPaths"));
        assertTrue(withIdentity.containsAll(files), withIdentity.toString());
        List<String> without = texts(hardened(SandboxProfile.defaults(), Specs.app()).get("linux").get("maskedPaths"));
        assertTrue(files.stream().noneMatch(without::contains), "without a kernel identity nothing pretends: " + without);
    }

    @Test
    void pidsLimitIsTheProfilesUnlessTheContainerAskedForLess() throws Refusal {
        assertEquals(1024, hardened(SandboxProfile.defaults(), Specs.app()).get("linux").get("resources").get("pids").get("limit").asLong());
        ObjectNode small = Specs.app();
        ((ObjectNode) small.get("linux").get("resources")).putObject("pids").put("limit", 50);
        assertEquals(50, hardened(SandboxProfile.defaults(), small).get("linux").get("resources").get("pids").get("limit").asLong());
        ObjectNode big = Specs.app();
        ((ObjectNode) big.get("linux").get("resources")).putObject("pids").put("limit", 100000);
        assertEquals(1024, hardened(SandboxProfile.defaults(), big).get("linux").get("resources").get("pids").get("limit").asLong());
    }

    @Test
    void readOnlyRootFilesystemWhenTheProfileSaysSo() throws Refusal {
        assertFalse(hardened(SandboxProfile.defaults(), Specs.app()).path("root").path("readonly").asBoolean());
        assertTrue(hardened(Specs.profile("{\"readOnlyRootFilesystem\":true}"), Specs.app()).get("root").get("readonly").asBoolean());
    }

    @Test
    void allowedHostPathsAreForcedReadOnlyUnlessTheProfileSaysOtherwise() throws Refusal {
        ObjectNode spec = hardened(Specs.profile("{\"allowedHostPaths\":[{\"path\":\"/srv/ro\"},{\"path\":\"/srv/rw\",\"readOnly\":false}]}"),
                Specs.withHostPath(Specs.withHostPath(Specs.app(), "/srv/ro", "/a"), "/srv/rw", "/b"));
        List<String> readOnly = texts(spec.get("mounts").get(14).get("options"));
        assertTrue(readOnly.contains("ro") && !readOnly.contains("rw"), readOnly.toString());
        assertTrue(texts(spec.get("mounts").get(15).get("options")).contains("rw"));
    }

    @Test
    void sysfsIsReadOnlyAndTheDeviceCgroupDeniesByDefault() throws Refusal {
        ObjectNode spec = Specs.app();
        ((ObjectNode) spec.get("mounts").get(4)).putArray("options").add("nosuid").add("rw");
        ((ObjectNode) spec.get("linux").get("resources")).remove("devices");
        hardened(SandboxProfile.defaults(), spec);
        assertTrue(texts(spec.get("mounts").get(4).get("options")).contains("ro"));
        JsonNode first = spec.get("linux").get("resources").get("devices").get(0);
        assertFalse(first.get("allow").asBoolean());
        assertEquals("rwm", first.get("access").asText());
    }

    @Test
    void execProcessIsHardenedLikeTheContainer() {
        ObjectNode process = (ObjectNode) Specs.app().get("process");
        new SpecHardener(SandboxProfile.defaults(), new SpecValidator(SandboxProfile.defaults(), "p", PLAIN_HOST), "p", "amd64")
                .hardenProcess(process);
        assertTrue(process.get("noNewPrivileges").asBoolean());
        assertFalse(texts(process.get("capabilities").get("bounding")).contains("CAP_NET_RAW"));
    }
}
