package dev.stockade.supervisor.notify;

import java.util.Map;
import java.util.TreeMap;

/**
 * x86_64 syscall numbers of the calls a profile may route to the supervisor (uname and the
 * tripwire candidates), for naming them in metrics and logs. Notifications from any other
 * architecture are denied without emulation.
 */
public final class Syscalls {

    /** AUDIT_ARCH_X86_64: the {@code arch} field of seccomp_data for native x86_64 calls. */
    public static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    public static final int UNAME = 63;

    private static final Map<String, Integer> X86_64 = Map.ofEntries(
            Map.entry("uname", 63), Map.entry("ptrace", 101), Map.entry("personality", 135),
            Map.entry("chroot", 161), Map.entry("acct", 163), Map.entry("mount", 165), Map.entry("umount2", 166),
            Map.entry("swapon", 167), Map.entry("swapoff", 168), Map.entry("reboot", 169),
            Map.entry("sethostname", 170), Map.entry("setdomainname", 171), Map.entry("iopl", 172),
            Map.entry("ioperm", 173), Map.entry("init_module", 175), Map.entry("delete_module", 176),
            Map.entry("quotactl", 179), Map.entry("pivot_root", 155), Map.entry("settimeofday", 164),
            Map.entry("adjtimex", 159), Map.entry("add_key", 248), Map.entry("request_key", 249),
            Map.entry("keyctl", 250), Map.entry("unshare", 272), Map.entry("move_pages", 279),
            Map.entry("perf_event_open", 298), Map.entry("fanotify_init", 300), Map.entry("name_to_handle_at", 303),
            Map.entry("open_by_handle_at", 304), Map.entry("clock_adjtime", 305), Map.entry("setns", 308),
            Map.entry("process_vm_readv", 310), Map.entry("process_vm_writev", 311), Map.entry("kcmp", 312),
            Map.entry("finit_module", 313), Map.entry("kexec_load", 246), Map.entry("kexec_file_load", 320),
            Map.entry("bpf", 321), Map.entry("userfaultfd", 323), Map.entry("io_uring_setup", 425),
            Map.entry("io_uring_enter", 426), Map.entry("io_uring_register", 427), Map.entry("open_tree", 428),
            Map.entry("move_mount", 429), Map.entry("fsopen", 430), Map.entry("fsconfig", 431),
            Map.entry("fsmount", 432), Map.entry("fspick", 433), Map.entry("pidfd_getfd", 438),
            Map.entry("mount_setattr", 442), Map.entry("clock_settime", 227), Map.entry("lookup_dcookie", 212),
            Map.entry("vhangup", 153), Map.entry("syslog", 103), Map.entry("_sysctl", 156),
            Map.entry("mbind", 237), Map.entry("set_mempolicy", 238), Map.entry("migrate_pages", 256));

    private static final String[] NAMES = new String[512];

    static {
        X86_64.forEach((name, number) -> NAMES[number] = name);
    }

    /** The syscall's name, or {@code syscall_<nr>} for one outside the table. */
    public static String name(int number) {
        return number >= 0 && number < NAMES.length && NAMES[number] != null ? NAMES[number] : "syscall_" + number;
    }

    /** Whether the supervisor knows {@code name}, i.e. a profile may route it there. */
    public static boolean known(String name) {
        return X86_64.containsKey(name);
    }

    /** Names a profile may list as tripwires (everything known but uname, which is emulated). */
    public static Map<String, Integer> table() {
        return new TreeMap<>(X86_64);
    }

    private Syscalls() {
    }
}
