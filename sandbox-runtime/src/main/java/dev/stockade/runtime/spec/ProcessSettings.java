package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stockade.api.profile.SandboxProfile;

import java.math.BigInteger;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a container's processes may claim of what every tenant of the node shares: their place in
 * the OOM killer's order, real-time CPU and I/O priority, memory locked against reclaim. runc
 * sets these as root before the container's program starts, beyond what the program could take
 * itself, so a value past the profile's bound is refused (not lowered: the program would then fail
 * later, at its own mlock or sched_setscheduler, with less to go on). Kubernetes never writes one:
 * the kubelet's oom_score_adj is -997 to 1000 (-998 for a pod's sandbox), and its engines set no
 * rlimit but RLIMIT_NOFILE, no scheduler and no I/O priority. They come from Docker's
 * --oom-score-adj and --ulimit, or from a spec written by hand.
 */
final class ProcessSettings {

    /**
     * The lowest oom_score_adj a container may have: -998, what containerd, CRI-O and cri-dockerd
     * give a pod's sandbox container. Guaranteed and node-critical pods get -997; the kubelet and
     * the engines themselves run at -999, and at -1000 the kernel never picks the process.
     */
    static final int MIN_OOM_SCORE_ADJ = -998;

    static final String RLIMIT_RTPRIO = "RLIMIT_RTPRIO";
    static final String RLIMIT_MEMLOCK = "RLIMIT_MEMLOCK";
    /** RLIM_INFINITY, as runc and Docker write "unlimited". */
    static final BigInteger RLIM_INFINITY = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /** Scheduling policies whose nice value only weighs the container's threads against each other inside its CPU cgroup. */
    static final Set<String> ORDINARY_POLICIES = Set.of("SCHED_OTHER", "SCHED_BATCH", "SCHED_IDLE");
    static final Set<String> REALTIME_POLICIES = Set.of("SCHED_FIFO", "SCHED_RR");
    static final Set<String> ORDINARY_IO_CLASSES = Set.of("IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE");

    private final SandboxProfile profile;
    private final String profileName;

    ProcessSettings(SandboxProfile profile, String profileName) {
        this.profile = profile;
        this.profileName = profileName;
    }

    /** Checks a spec's process, or an exec's process file (whose fields runc reads alike). */
    void check(JsonNode process) throws Refusal {
        if (process == null || !process.isObject()) {
            return;
        }
        checkOomScoreAdj(process.get("oomScoreAdj"));
        checkRlimits(process.path("rlimits"));
        checkScheduler(process.get("scheduler"));
        checkIoPriority(process.get("ioPriority"));
        checkMacLabels(process.path("apparmorProfile").asText(""), process.path("selinuxLabel").asText(""), "process.apparmorProfile",
                "process.selinuxLabel");
    }

    /** SELinux types that are no confinement: container-selinux's super-privileged type and the unconfined domain. */
    static final java.util.Set<String> UNCONFINED_SELINUX_TYPES = java.util.Set.of("spc_t", "unconfined_t");

    /**
     * The labels that take the container out of its mandatory access control, which a pod can ask
     * for (securityContext.appArmorProfile type Unconfined, seLinuxOptions.type spc_t): AppArmor's
     * {@code unconfined} and an SELinux context whose type is {@link #UNCONFINED_SELINUX_TYPES}.
     * Every other label only narrows what the container may do. Empty strings mean none given.
     */
    void checkMacLabels(String apparmor, String selinux, String apparmorField, String selinuxField) throws Refusal {
        if (apparmor.equals("unconfined")) {
            throw new Refusal(apparmorField, "mac-label",
                    "unconfined would run the container without AppArmor confinement; sandbox profile " + profileName
                            + " does not allow it: use the runtime's default profile (RuntimeDefault) or a Localhost profile");
        }
        String[] context = selinux.split(":", 4);
        if (context.length >= 3 && UNCONFINED_SELINUX_TYPES.contains(context[2])) {
            throw new Refusal(selinuxField, "mac-label",
                    "the SELinux type " + context[2] + " would run the container without SELinux confinement; sandbox profile " + profileName
                            + " does not allow it: leave seLinuxOptions.type to the runtime (container_t)");
        }
    }

    void checkOomScoreAdj(JsonNode value) throws Refusal {
        if (absent(value)) {
            return;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < -1000 || value.intValue() > 1000) {
            throw new Refusal("process.oomScoreAdj", "oom-score-adj",
                    value + " is not a whole number from -1000 to 1000, what the kernel's oom_score_adj takes; the runtime fails closed");
        }
        if (value.intValue() < MIN_OOM_SCORE_ADJ) {
            String effect = value.intValue() == -1000
                    ? "would exempt the container's processes from the kernel's OOM killer, which would then take the kubelet and the "
                            + "container runtime (-999) first"
                    : "would rank the container's processes with the kubelet and the container runtime themselves (-999) in the order "
                            + "the kernel's OOM killer takes processes";
            throw new Refusal("process.oomScoreAdj", "oom-score-adj",
                    value.intValue() + " " + effect + "; sandbox profile " + profileName + " allows no less than " + MIN_OOM_SCORE_ADJ
                            + ", the lowest Kubernetes gives (a pod's sandbox container; Guaranteed pods get -997). Remove --oom-score-adj "
                            + "or set it to " + MIN_OOM_SCORE_ADJ + " or more");
        }
    }

    void checkRlimits(JsonNode rlimits) throws Refusal {
        int index = 0;
        for (JsonNode rlimit : rlimits) {
            String field = "process.rlimits[" + index++ + "]";
            // crun and runc name types exactly; comparing loosely refuses more, never less.
            String type = rlimit.path("type").asText("").strip().toUpperCase(Locale.ROOT);
            if (type.equals(RLIMIT_RTPRIO)) {
                checkRlimit(rlimit, field, type, BigInteger.valueOf(profile.maxRealtimePriority()),
                        "would let the container's processes make themselves real-time (SCHED_FIFO, SCHED_RR) up to that priority, and a "
                                + "real-time thread runs before every ordinary process on its CPU, the node's own included",
                        profile.maxRealtimePriority() + " (maxRealtimePriority)", "rtprio", "maxRealtimePriority");
            } else if (type.equals(RLIMIT_MEMLOCK) && profile.maxLockedMemoryBytes() != SandboxProfile.UNLIMITED_LOCKED_MEMORY) {
                long bound = profile.maxLockedMemoryBytes();
                checkRlimit(rlimit, field, type, BigInteger.valueOf(bound),
                        "would let the container lock that much of the node's memory where the kernel can neither swap nor reclaim it",
                        bound + " bytes" + (bound >= 1 << 20 && bound % (1 << 20) == 0 ? " (" + (bound >> 20) + " MiB)" : "")
                                + " (maxLockedMemoryBytes; -1 allows unlimited)", "memlock", "maxLockedMemoryBytes");
            }
        }
    }

    private void checkRlimit(JsonNode rlimit, String field, String type, BigInteger bound, String harm, String allowed, String dockerName,
                             String profileField) throws Refusal {
        for (String limit : List.of("soft", "hard")) {
            JsonNode value = rlimit.get(limit);
            if (absent(value)) {
                continue;
            }
            BigInteger number = value.isIntegralNumber() ? value.bigIntegerValue() : null;
            if (number == null || number.signum() < 0 || number.compareTo(RLIM_INFINITY) > 0) {
                throw new Refusal(field + "." + limit, "rlimits",
                        type + " " + limit + " " + value + " is not a whole number from 0 to " + RLIM_INFINITY + " (unlimited); the runtime "
                                + "fails closed");
            }
            if (number.compareTo(bound) > 0) {
                throw new Refusal(field + "." + limit, "rlimits",
                        type + " " + limit + " " + (number.equals(RLIM_INFINITY) ? "unlimited" : number) + " " + harm + "; sandbox profile "
                                + profileName + " allows at most " + allowed + ". Ask for less with --ulimit " + dockerName
                                + ", or use a runtime class whose profile raises " + profileField);
            }
        }
    }

    void checkScheduler(JsonNode scheduler) throws Refusal {
        if (absent(scheduler)) {
            return;
        }
        String policy = scheduler.path("policy").asText("");
        if (ORDINARY_POLICIES.contains(policy)) {
            return;
        }
        if (!REALTIME_POLICIES.contains(policy)) {
            throw new Refusal("process.scheduler.policy", "scheduling",
                    (policy.isEmpty() ? "no policy" : policy) + " is not allowed by sandbox profile " + profileName
                            + (policy.equals("SCHED_DEADLINE") ? ": a deadline task runs before every other on its CPU, real-time ones included"
                            : "; it knows " + ORDINARY_POLICIES.stream().sorted().toList() + " and " + REALTIME_POLICIES.stream().sorted().toList()));
        }
        JsonNode priority = scheduler.path("priority");
        if (!priority.isIntegralNumber() || !priority.canConvertToInt() || priority.intValue() > profile.maxRealtimePriority()) {
            throw new Refusal("process.scheduler.priority", "scheduling",
                    policy + " priority " + priority + " would run the container's processes before every ordinary process on their CPUs, "
                            + "the node's own included; sandbox profile " + profileName + " allows real-time priorities up to "
                            + profile.maxRealtimePriority() + " (maxRealtimePriority). Use SCHED_OTHER, or a runtime class whose profile "
                            + "raises maxRealtimePriority");
        }
    }

    void checkIoPriority(JsonNode ioPriority) throws Refusal {
        if (absent(ioPriority)) {
            return;
        }
        String ioClass = ioPriority.path("class").asText("");
        if (!ORDINARY_IO_CLASSES.contains(ioClass)) {
            throw new Refusal("process.ioPriority.class", "scheduling",
                    (ioClass.isEmpty() ? "no class" : ioClass) + " is not allowed by sandbox profile " + profileName
                            + (ioClass.equals("IOPRIO_CLASS_RT") ? ": the real-time class is served before every other process's I/O on "
                            + "the node's disks, and only CAP_SYS_ADMIN may set it" : "")
                            + "; use IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE");
        }
    }

    private static boolean absent(JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode();
    }
}
