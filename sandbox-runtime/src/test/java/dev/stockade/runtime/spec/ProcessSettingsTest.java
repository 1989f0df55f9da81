package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.util.List;

import static dev.stockade.runtime.spec.Specs.PLAIN_HOST;
import static dev.stockade.runtime.spec.Specs.assertRefusal;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Process settings runc applies as root for the container: the OOM killer's order, rlimits,
 * scheduling. What Kubernetes and its engines write passes; what reaches past the container is
 * refused, naming the field.
 */
class ProcessSettingsTest {

    private static final SpecValidator DEFAULTS = new SpecValidator(SandboxProfile.defaults(), "untrusted", PLAIN_HOST);

    private static Refusal refused(SpecValidator validator, ObjectNode spec) {
        return assertThrows(Refusal.class, () -> validator.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    private static SpecValidator withProfile(String json) {
        return new SpecValidator(Specs.profile(json), "untrusted", PLAIN_HOST);
    }

    private static ObjectNode withOomScoreAdj(int value) {
        ObjectNode spec = Specs.app();
        spec.with("process").put("oomScoreAdj", value);
        return spec;
    }

    private static ObjectNode withRlimit(String type, BigInteger soft, BigInteger hard) {
        ObjectNode spec = Specs.app();
        spec.with("process").withArray("rlimits").addObject().put("type", type).put("hard", hard).put("soft", soft);
        return spec;
    }

    private static ObjectNode withRlimit(String type, long both) {
        return withRlimit(type, BigInteger.valueOf(both), BigInteger.valueOf(both));
    }

    // ---- oomScoreAdj ----

    /** The kubelet's QoS values (Guaranteed and node-critical -997, Burstable 3 to 999, BestEffort 1000) and the sandbox's -998. */
    @ParameterizedTest
    @ValueSource(ints = {-998, -997, 3, 500, 999, 1000, 0})
    void everyOomScoreAdjKubernetesGivesPasses(int value) {
        assertDoesNotThrow(() -> DEFAULTS.validate(withOomScoreAdj(value), Specs.BUNDLE, Specs.ID));
    }

    @Test
    void theCriFixturesPassWithTheirOwnOomScoreAdj() {
        assertEquals(1000, Specs.app().get("process").get("oomScoreAdj").asInt(), "containerd's BestEffort container");
        assertEquals(-998, Specs.pause().get("process").get("oomScoreAdj").asInt(), "containerd's sandbox container");
        assertDoesNotThrow(() -> DEFAULTS.validate(Specs.app(), Specs.BUNDLE, Specs.ID));
        assertDoesNotThrow(() -> DEFAULTS.validate(Specs.pause(), Specs.BUNDLE, Specs.SANDBOX_ID));
    }

    @ParameterizedTest
    @ValueSource(ints = {-999, -1000})
    void anOomScoreAdjBelowTheSandboxContainersIsRefused(int value) {
        Refusal refusal = refused(DEFAULTS, withOomScoreAdj(value));
        assertRefusal(refusal, "process.oomScoreAdj", "oom-score-adj", "allows no less than -998, the lowest Kubernetes gives",
                "Remove --oom-score-adj or set it to -998 or more");
        assertTrue(refusal.getMessage().contains(value == -1000
                ? "-1000 would exempt the container's processes from the kernel's OOM killer, which would then take the kubelet"
                : "-999 would rank the container's processes with the kubelet and the container runtime themselves"), refusal.getMessage());
    }

    @Test
    void anOomScoreAdjThatIsNoWholeNumberIsRefused() {
        for (String json : List.of("\"-1000\"", "-999.5", "-100000000000", "1001")) {
            ObjectNode spec = Specs.app();
            spec.with("process").set("oomScoreAdj", parse(json));
            Refusal refusal = refused(DEFAULTS, spec);
            assertEquals("oom-score-adj", refusal.rule(), json);
            assertTrue(refusal.getMessage().contains("is not a whole number from -1000 to 1000"), refusal.getMessage());
        }
        ObjectNode unset = Specs.app();
        unset.with("process").putNull("oomScoreAdj");
        assertDoesNotThrow(() -> DEFAULTS.validate(unset, Specs.BUNDLE, Specs.ID), "null is unset, as runc reads it");
    }

    private static JsonNode parse(String json) {
        try {
            return Specs.JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    // ---- rlimits ----

    /** containerd's default spec sets RLIMIT_NOFILE 1024; Docker's and k3s's engines pass their own up to 1048576 and beyond. */
    @Test
    void rlimitsOtherThanRealtimePriorityAndLockedMemoryPass() {
        assertDoesNotThrow(() -> DEFAULTS.validate(withRlimit("RLIMIT_NOFILE", 1024), Specs.BUNDLE, Specs.ID));
        assertDoesNotThrow(() -> DEFAULTS.validate(withRlimit("RLIMIT_NOFILE", ProcessSettings.RLIM_INFINITY, ProcessSettings.RLIM_INFINITY),
                Specs.BUNDLE, Specs.ID));
        assertDoesNotThrow(() -> DEFAULTS.validate(withRlimit("RLIMIT_CORE", 0), Specs.BUNDLE, Specs.ID));
        assertDoesNotThrow(() -> DEFAULTS.validate(withRlimit("RLIMIT_RTPRIO", 0), Specs.BUNDLE, Specs.ID), "no real-time priority at all");
    }

    @Test
    void aRealtimePriorityRlimitIsRefusedUnlessTheProfileAllowsIt() {
        Refusal refusal = refused(DEFAULTS, withRlimit("RLIMIT_RTPRIO", 99));
        assertRefusal(refusal, "process.rlimits[0].soft", "rlimits", "RLIMIT_RTPRIO soft 99 would let the container's processes make "
                + "themselves real-time", "allows at most 0 (maxRealtimePriority)", "--ulimit rtprio", "raises maxRealtimePriority");
        SpecValidator allowing = withProfile("{\"maxRealtimePriority\":10}");
        assertDoesNotThrow(() -> allowing.validate(withRlimit("RLIMIT_RTPRIO", 10), Specs.BUNDLE, Specs.ID));
        assertEquals("process.rlimits[0].hard",
                refused(allowing, withRlimit("RLIMIT_RTPRIO", BigInteger.ONE, BigInteger.valueOf(11))).field(), "the hard limit counts too");
    }

    @Test
    void lockedMemoryAboveTheProfilesBoundIsRefused() {
        long bound = 64L << 20;
        assertDoesNotThrow(() -> DEFAULTS.validate(withRlimit("RLIMIT_MEMLOCK", bound), Specs.BUNDLE, Specs.ID));
        assertDoesNotThrow(() -> DEFAULTS.validate(withRlimit("RLIMIT_MEMLOCK", 8L << 20), Specs.BUNDLE, Specs.ID), "the kernel's own default");
        assertRefusal(refused(DEFAULTS, withRlimit("RLIMIT_MEMLOCK", bound + 1)), "process.rlimits[0].soft", "rlimits",
                "RLIMIT_MEMLOCK soft 67108865 would let the container lock that much of the node's memory",
                "allows at most 67108864 bytes (64 MiB) (maxLockedMemoryBytes; -1 allows unlimited)", "--ulimit memlock");
        // Docker's --ulimit memlock=-1:-1
        ObjectNode unlimited = withRlimit("RLIMIT_MEMLOCK", ProcessSettings.RLIM_INFINITY, ProcessSettings.RLIM_INFINITY);
        assertRefusal(refused(DEFAULTS, unlimited), "process.rlimits[0].soft", "rlimits", "RLIMIT_MEMLOCK soft unlimited");
        assertDoesNotThrow(() -> withProfile("{\"maxLockedMemoryBytes\":-1}").validate(unlimited, Specs.BUNDLE, Specs.ID));
        assertEquals("rlimits", refused(withProfile("{\"maxLockedMemoryBytes\":4194304}"), withRlimit("RLIMIT_MEMLOCK", 8L << 20)).rule());
    }

    /** crun reads -1 as unlimited; a type in other letters may be read by another runtime; a value runc cannot parse is not checked loosely. */
    @Test
    void boundedRlimitsInAnyOtherShapeAreRefused() {
        assertEquals("rlimits", refused(DEFAULTS, withRlimit("rlimit_memlock", 1L << 30)).rule());
        assertEquals("rlimits", refused(DEFAULTS, withRlimit(" RLIMIT_RTPRIO", 1)).rule());
        Refusal negative = refused(DEFAULTS, withRlimit("RLIMIT_MEMLOCK", -1));
        assertEquals("process.rlimits[0].soft", negative.field());
        assertTrue(negative.getMessage().contains("is not a whole number from 0 to 18446744073709551615 (unlimited)"), negative.getMessage());
        ObjectNode text = Specs.app();
        text.with("process").withArray("rlimits").addObject().put("type", "RLIMIT_MEMLOCK").put("hard", "unlimited").put("soft", 0);
        assertEquals("process.rlimits[0].hard", refused(DEFAULTS, text).field());
        ObjectNode tooLarge = withRlimit("RLIMIT_RTPRIO", BigInteger.ZERO, ProcessSettings.RLIM_INFINITY.add(BigInteger.ONE));
        assertEquals("process.rlimits[0].hard", refused(withProfile("{\"maxRealtimePriority\":99}"), tooLarge).field());
    }

    @Test
    void laterRlimitsAreCheckedToo() {
        ObjectNode spec = withRlimit("RLIMIT_NOFILE", 1024);
        ((ArrayNode) spec.get("process").get("rlimits")).addObject().put("type", "RLIMIT_RTPRIO").put("hard", 1).put("soft", 0);
        assertEquals("process.rlimits[1].hard", refused(DEFAULTS, spec).field());
    }

    // ---- scheduling ----

    @Test
    void ordinarySchedulingPoliciesPassWithAnyNice() {
        for (String policy : List.of("SCHED_OTHER", "SCHED_BATCH", "SCHED_IDLE")) {
            ObjectNode spec = Specs.app();
            spec.with("process").putObject("scheduler").put("policy", policy).put("nice", -20);
            assertDoesNotThrow(() -> DEFAULTS.validate(spec, Specs.BUNDLE, Specs.ID), policy);
        }
    }

    @Test
    void realtimeSchedulingIsRefusedUnlessTheProfileAllowsThePriority() {
        ObjectNode fifo = Specs.app();
        fifo.with("process").putObject("scheduler").put("policy", "SCHED_FIFO").put("priority", 99);
        assertRefusal(refused(DEFAULTS, fifo), "process.scheduler.priority", "scheduling",
                "SCHED_FIFO priority 99 would run the container's processes before every ordinary process", "up to 0 (maxRealtimePriority)");
        assertEquals("scheduling", refused(withProfile("{\"maxRealtimePriority\":50}"), fifo).rule());
        assertDoesNotThrow(() -> withProfile("{\"maxRealtimePriority\":99}").validate(fifo, Specs.BUNDLE, Specs.ID));
        ObjectNode rr = Specs.app();
        rr.with("process").putObject("scheduler").put("policy", "SCHED_RR").put("priority", 5);
        assertDoesNotThrow(() -> withProfile("{\"maxRealtimePriority\":5}").validate(rr, Specs.BUNDLE, Specs.ID));
    }

    @Test
    void deadlineSchedulingAndUnknownPoliciesAreRefused() {
        ObjectNode deadline = Specs.app();
        deadline.with("process").putObject("scheduler").put("policy", "SCHED_DEADLINE").put("runtime", 1000000).put("deadline", 1000000)
                .put("period", 1000000);
        assertRefusal(refused(withProfile("{\"maxRealtimePriority\":99}"), deadline), "process.scheduler.policy", "scheduling",
                "a deadline task runs before every other on its CPU");
        ObjectNode unknown = Specs.app();
        unknown.with("process").putObject("scheduler").put("policy", "SCHED_ISO");
        assertRefusal(refused(DEFAULTS, unknown), "process.scheduler.policy", "scheduling", "SCHED_ISO is not allowed");
    }

    @Test
    void theRealtimeIoClassIsRefused() {
        ObjectNode spec = Specs.app();
        spec.with("process").putObject("ioPriority").put("class", "IOPRIO_CLASS_RT").put("priority", 0);
        assertRefusal(refused(withProfile("{\"maxRealtimePriority\":99}"), spec), "process.ioPriority.class", "scheduling",
                "served before every other process's I/O", "use IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE");
        for (String ioClass : List.of("IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE")) {
            ObjectNode ordinary = Specs.app();
            ordinary.with("process").putObject("ioPriority").put("class", ioClass).put("priority", 0);
            assertDoesNotThrow(() -> DEFAULTS.validate(ordinary, Specs.BUNDLE, Specs.ID), ioClass);
        }
    }

    /** runc exec applies an exec process file's rlimits (and newer runtimes its scheduler): checked like the container's. */
    @Test
    void anExecProcessFileIsCheckedLikeTheContainersProcess() {
        ObjectNode process = (ObjectNode) withRlimit("RLIMIT_MEMLOCK", 1L << 30).get("process");
        Refusal refusal = assertThrows(Refusal.class, () -> DEFAULTS.validateProcess(process, List.of()));
        assertEquals("process.rlimits[0].soft", refusal.field());
        ObjectNode oom = (ObjectNode) withOomScoreAdj(-1000).get("process");
        assertEquals("oom-score-adj", assertThrows(Refusal.class, () -> DEFAULTS.validateProcess(oom, List.of())).rule());
        assertDoesNotThrow(() -> DEFAULTS.validateProcess((ObjectNode) Specs.app().get("process"), List.of()));
    }

    /**
     * Settings that reach only the container itself, or that only ever narrow what it may do, are
     * left to Kubernetes and the engine: a personality, time offsets, CPU affinity of exec'd
     * processes within the container's cpuset, a NUMA policy, AppArmor and SELinux labels other than
     * unconfined ones.
     */
    @Test
    void settingsThatReachOnlyTheContainerItselfPass() throws Exception {
        ObjectNode spec = Specs.app();
        spec.with("process").put("apparmorProfile", "localhost/k8s-nginx").put("selinuxLabel", "system_u:system_r:container_t:s0:c4,c5")
                .putObject("execCPUAffinity").put("initial", "0").put("final", "0-1");
        ObjectNode linux = spec.with("linux");
        linux.put("mountLabel", "system_u:object_r:container_file_t:s0:c1,c2");
        linux.putObject("personality").put("domain", "LINUX32");
        linux.putObject("timeOffsets").putObject("monotonic").put("secs", 3600);
        linux.putObject("memoryPolicy").put("mode", "MPOL_BIND").put("nodes", "0");
        assertDoesNotThrow(() -> DEFAULTS.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    // ---- mandatory access control labels ----

    /** A pod's appArmorProfile Unconfined, seLinuxOptions.type spc_t: out of the container's confinement (issue 11). */
    @Test
    void unconfinedAppArmorAndSelinuxTypesAreRefused() {
        ObjectNode apparmor = Specs.app();
        apparmor.with("process").put("apparmorProfile", "unconfined");
        assertEquals("mac-label", refused(DEFAULTS, apparmor).rule());
        ObjectNode selinux = Specs.app();
        selinux.with("process").put("selinuxLabel", "system_u:system_r:spc_t:s0");
        assertEquals("mac-label", refused(DEFAULTS, selinux).rule());
        ObjectNode confined = Specs.app();
        confined.with("process").put("apparmorProfile", "cri-containerd.apparmor.d").put("selinuxLabel", "system_u:system_r:container_t:s0:c1,c2");
        assertDoesNotThrow(() -> DEFAULTS.validate(confined, Specs.BUNDLE, Specs.ID));
        assertEquals("mac-label", assertThrows(Refusal.class,
                () -> DEFAULTS.validateExecLabels(java.util.Optional.of("unconfined"), java.util.Optional.empty())).rule());
    }
}
