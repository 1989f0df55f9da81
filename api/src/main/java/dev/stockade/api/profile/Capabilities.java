package dev.stockade.api.profile;

import java.util.List;
import java.util.Set;

/**
 * The Linux capabilities by name, without the CAP_ prefix, as a profile's allowedCapabilities
 * names them: every capability of include/uapi/linux/capability.h up to CAP_CHECKPOINT_RESTORE
 * (40, Linux 5.9), in bit order. A name outside this list is a typo that would otherwise allow
 * nothing and say nothing, so the operator and the node's runtime both refuse it.
 */
public final class Capabilities {

    public static final List<String> LINUX = List.of("CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
            "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK",
            "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
            "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE",
            "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE");

    private static final Set<String> NAMES = Set.copyOf(LINUX);

    /** Whether {@code name} (without CAP_, upper case) is a Linux capability. */
    public static boolean isKnown(String name) {
        return name != null && NAMES.contains(name);
    }

    private Capabilities() {
    }
}
