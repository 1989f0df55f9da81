package dev.stockade.api.profile;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

import java.util.List;

/**
 * What the sandbox runtime enforces on every container of a runtime class. Carried in the
 * SandboxPolicy, rendered by the operator with every default filled in ({@link #resolved()}),
 * written to the node by the installer and read by the runtime on each container create.
 * A field left out means the safe default, never "allow".
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SandboxProfile(
        @JsonPropertyDescription("Enforce (default) validates and hardens every container. Passthrough hands every spec to runc unchanged: no sandbox at all, for debugging only.")
        Mode mode,

        @JsonPropertyDescription("Linux capabilities a container may keep, without the CAP_ prefix. Containers asking for more are refused; the rest are dropped. "
                + "Default: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE. A container that keeps SYS_CHROOT, "
                + "SYS_PTRACE (Linux 4.8 or later), SYS_BOOT, SYS_PACCT or SYS_TTY_CONFIG may also make the calls it governs (chroot; ptrace and "
                + "process_vm_readv/writev; reboot of its own PID namespace; acct; vhangup); no capability opens mount, namespace, BPF, perf, "
                + "module, clock-setting, I/O-port or syslog calls.")
        List<String> allowedCapabilities,

        @JsonPropertyDescription("Strictness of the seccomp allowlist: Default allows what ordinary programs need and denies namespace, mount, kernel-keyring, BPF "
                + "and module calls, and tracing unless the container keeps SYS_PTRACE; Strict also denies process-tracing helpers and legacy calls.")
        SeccompLevel seccomp,

        @JsonPropertyDescription("Host paths a container may bind-mount besides those the kubelet and container runtime manage for the pod, "
                + "and where the programs of OCI hooks the node adds may lie. Everything else from the host is refused.")
        List<HostPathRule> allowedHostPaths,

        @JsonPropertyDescription("Sysctls allowed beyond the Kubernetes safe set. Any other sysctl is refused.")
        List<String> allowedSysctls,

        @JsonPropertyDescription("Maximum number of processes in a container (fork-bomb guard). Default 1024.")
        @Min(1) @Max(4194304)
        Long pidsLimit,

        @JsonPropertyDescription("Mount every container's root filesystem read-only. Default false.")
        Boolean readOnlyRootFilesystem,

        @JsonPropertyDescription("Paths masked inside the container in addition to the runtime's defaults.")
        List<String> maskedPaths,

        @JsonPropertyDescription("Paths made read-only inside the container in addition to the runtime's defaults.")
        List<String> readonlyPaths,

        @JsonPropertyDescription("Kernel identity the supervisor reports to uname(2) inside the sandbox. Unset: the host's identity.")
        KernelIdentity kernelIdentity,

        @JsonPropertyDescription("Denied syscalls that the supervisor reports as escape attempts (metrics, Events, logs). Needs the supervisor running on the node.")
        List<String> tripwireSyscalls,

        @JsonPropertyDescription("Socket families (AF_PACKET, AF_VSOCK…) and netlink protocols (NETLINK_AUDIT, NETLINK_SOCK_DIAG…) containers may open "
                + "beyond AF_UNIX, AF_INET, AF_INET6 and NETLINK_ROUTE; AF_NETLINK opens every netlink protocol. Any other socket fails with "
                + "EAFNOSUPPORT (a netlink protocol with EPROTONOSUPPORT), as on a kernel built without it.")
        List<SocketFamily> allowedSocketFamilies,

        @JsonPropertyDescription("Highest real-time priority a container may ask for: its RLIMIT_RTPRIO (Docker's --ulimit rtprio) and a SCHED_FIFO or "
                + "SCHED_RR priority in process.scheduler. A real-time thread runs before every ordinary process of the node on its CPU. Default 0: "
                + "no real-time scheduling (a container keeping SYS_NICE may still make itself real-time). SCHED_DEADLINE and the real-time I/O class are "
                + "never allowed.")
        @Min(0) @Max(99)
        Long maxRealtimePriority,

        @JsonPropertyDescription("Largest RLIMIT_MEMLOCK, in bytes, a container may ask for (Docker's --ulimit memlock): memory it may lock against "
                + "reclaim. Default 67108864 (64 MiB); the kernel gives processes 8 MiB. -1 allows unlimited (Elasticsearch's bootstrap.memory_lock, DPDK). A "
                + "container that asks for none keeps the container runtime's own.")
        @Min(-1)
        Long maxLockedMemoryBytes) {

    public enum Mode { Enforce, Passthrough }

    public enum SeccompLevel { Default, Strict }

    public static final List<String> DEFAULT_CAPABILITIES = List.of(
            "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE");
    public static final long DEFAULT_PIDS_LIMIT = 1024;
    public static final long DEFAULT_MAX_REALTIME_PRIORITY = 0;
    /** 64 MiB: eight times the kernel's default RLIMIT_MEMLOCK (8 MiB since Linux 5.16, 64 KiB before). */
    public static final long DEFAULT_MAX_LOCKED_MEMORY_BYTES = 64L << 20;
    /** maxLockedMemoryBytes that allows RLIMIT_MEMLOCK unlimited. */
    public static final long UNLIMITED_LOCKED_MEMORY = -1;

    /** A profile that leaves allowedSocketFamilies, maxRealtimePriority and maxLockedMemoryBytes unset (their defaults). */
    public SandboxProfile(Mode mode, List<String> allowedCapabilities, SeccompLevel seccomp, List<HostPathRule> allowedHostPaths,
                          List<String> allowedSysctls, Long pidsLimit, Boolean readOnlyRootFilesystem, List<String> maskedPaths,
                          List<String> readonlyPaths, KernelIdentity kernelIdentity, List<String> tripwireSyscalls) {
        this(mode, allowedCapabilities, seccomp, allowedHostPaths, allowedSysctls, pidsLimit, readOnlyRootFilesystem, maskedPaths,
                readonlyPaths, kernelIdentity, tripwireSyscalls, null, null, null);
    }

    /** The profile a runtime class gets when the policy says nothing about it. */
    public static SandboxProfile defaults() {
        return new SandboxProfile(null, null, null, null, null, null, null, null, null, null, null, null, null, null).resolved();
    }

    /** This profile with every unset field at its safe default, as the node receives it. */
    public SandboxProfile resolved() {
        return new SandboxProfile(
                mode == null ? Mode.Enforce : mode,
                allowedCapabilities == null ? DEFAULT_CAPABILITIES : List.copyOf(allowedCapabilities),
                seccomp == null ? SeccompLevel.Default : seccomp,
                allowedHostPaths == null ? List.of() : allowedHostPaths.stream().map(HostPathRule::resolved).toList(),
                allowedSysctls == null ? List.of() : List.copyOf(allowedSysctls),
                pidsLimit == null ? DEFAULT_PIDS_LIMIT : pidsLimit,
                readOnlyRootFilesystem != null && readOnlyRootFilesystem,
                maskedPaths == null ? List.of() : List.copyOf(maskedPaths),
                readonlyPaths == null ? List.of() : List.copyOf(readonlyPaths),
                kernelIdentity == null ? null : kernelIdentity.resolved(),
                tripwireSyscalls == null ? List.of() : List.copyOf(tripwireSyscalls),
                allowedSocketFamilies == null ? List.of() : List.copyOf(allowedSocketFamilies),
                maxRealtimePriority == null ? DEFAULT_MAX_REALTIME_PRIORITY : maxRealtimePriority,
                maxLockedMemoryBytes == null ? DEFAULT_MAX_LOCKED_MEMORY_BYTES : maxLockedMemoryBytes);
    }

    /** Whether containers of this profile need the node's supervisor (seccomp user notification). */
    public boolean needsSupervisor() {
        return mode != Mode.Passthrough
                && (kernelIdentity != null || (tripwireSyscalls != null && !tripwireSyscalls.isEmpty()));
    }
}
