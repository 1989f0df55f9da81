package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.api.profile.SandboxProfile.SeccompLevel;
import dev.stockade.api.profile.SocketFamily;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The seccomp allowlists of the profile levels, as OCI {@code linux.seccomp}. Deny by default
 * (EPERM), native architecture only. Left out on purpose: mount and pivot calls, unshare, setns
 * and namespace flags of clone, keyctl and the key calls, bpf, perf_event_open, userfaultfd,
 * io_uring, open_by_handle_at, module, kexec, clock-setting, swap and quota calls, personality
 * changes, the new mount API and fanotify_init. A few calls follow the container's capabilities
 * ({@link #FOLLOW_CAPABILITY}); socket(2) and socketpair(2) follow the profile's socket families.
 * {@link SupervisorListener} adds SCMP_ACT_NOTIFY rules and a listenerPath to this object (issue 5).
 */
public final class SeccompProfiles {

    static final int EPERM = 1;
    static final int ENOSYS = 38;
    static final int EPROTONOSUPPORT = 93;
    static final int EAFNOSUPPORT = 97;

    /** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: clone may not set any. */
    static final long CLONE_NAMESPACE_FLAGS = 0x7E020000L;

    /**
     * What ordinary programs (shells, language runtimes, servers) call. With the NUMA memory-policy
     * calls (ZGC, numactl; Docker wants SYS_NICE for them, but the kernel itself checks it where it
     * matters, moving other processes' pages), memory protection keys, Landlock (programs that
     * sandbox themselves) and name_to_handle_at (a handle opens nothing without open_by_handle_at).
     */
    static final List<String> DEFAULT_ALLOWED = List.of(
            "accept", "accept4", "access", "alarm", "arch_prctl", "bind", "brk", "capget", "capset", "chdir",
            "chmod", "chown", "clock_getres", "clock_gettime", "clock_nanosleep", "close", "close_range",
            "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
            "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
            "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2",
            "fadvise64", "fallocate", "fchdir", "fchmod", "fchmodat", "fchown", "fchownat", "fcntl",
            "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
            "fstatfs", "fsync", "ftruncate", "futex", "futex_waitv", "futimesat", "get_mempolicy", "get_robust_list",
            "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid",
            "getgroups", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
            "getrandom", "getresgid", "getresuid", "getrlimit", "getrusage", "getsid", "getsockname",
            "getsockopt", "gettid", "gettimeofday", "getuid", "getxattr", "inotify_add_watch", "inotify_init",
            "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
            "io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set", "kill", "landlock_add_rule",
            "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lgetxattr", "link",
            "linkat", "listen", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat",
            "madvise", "mbind", "membarrier", "memfd_create", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
            "mlock2", "mlockall", "mmap", "modify_ldt", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
            "mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
            "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat",
            "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
            "pkey_mprotect", "poll", "ppoll", "prctl", "pread64",
            "preadv", "preadv2", "prlimit64", "pselect6", "pwrite64", "pwritev", "pwritev2", "read",
            "readahead", "readlink", "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg",
            "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir",
            "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
            "rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_get_priority_max",
            "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
            "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr",
            "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget",
            "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto", "set_mempolicy",
            "set_mempolicy_home_node", "set_robust_list",
            "set_thread_area", "set_tid_address", "setfsgid", "setfsuid", "setgid", "setgroups", "setitimer",
            "setpgid", "setpriority", "setregid", "setresgid", "setresuid", "setreuid", "setrlimit", "setsid",
            "setsockopt", "setuid", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
            "sigaltstack", "signalfd", "signalfd4", "splice", "stat", "statfs", "statx",
            "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time",
            "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime",
            "timerfd_create", "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate", "umask",
            "uname", "unlink", "unlinkat", "utime", "utimensat", "utimes", "vfork", "vmsplice", "wait4",
            "waitid", "write", "writev");

    /** Legacy calls and helpers that Strict also takes away. */
    static final Set<String> STRICT_REMOVED = Set.of(
            "modify_ldt", "remap_file_pages", "epoll_ctl_old", "epoll_wait_old", "futimesat", "utime", "time",
            "pidfd_open", "pidfd_send_signal", "vmsplice", "mq_notify", "io_submit", "io_setup", "io_cancel",
            "io_destroy", "io_getevents", "io_pgetevents");

    /**
     * Calls allowed only when the container keeps the capability the kernel checks for them, as
     * Docker's and containerd's profiles do. Each stays inside the container: chroot within its own
     * root (sshd's privilege separation), ptrace and its helpers on the container's own processes
     * (its PID namespace is always its own), reboot ends only the container's init in that
     * namespace, acct records only that namespace's processes, vhangup hangs up its own terminal.
     */
    static final Map<String, List<String>> FOLLOW_CAPABILITY = Map.of(
            "CAP_SYS_CHROOT", List.of("chroot"),
            "CAP_SYS_PTRACE", List.of("kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"),
            "CAP_SYS_BOOT", List.of("reboot"),
            "CAP_SYS_PACCT", List.of("acct"),
            "CAP_SYS_TTY_CONFIG", List.of("vhangup"));

    /**
     * Calls Docker allows with a capability that stay denied here whatever the profile allows:
     * each reaches past the container to what every tenant shares. Mounts, namespaces, BPF, perf
     * events and the syslog (SYS_ADMIN); code loaded into the kernel (SYS_MODULE); the host's I/O
     * ports (SYS_RAWIO); the host's clock (SYS_TIME); the host's kernel log (SYSLOG); BPF programs
     * (BPF); system-wide performance monitoring (PERFMON); any file of the host by its handle,
     * past the mount namespace (DAC_READ_SEARCH, the "shocker" escape).
     */
    static final Map<String, List<String>> NEVER_WITH_CAPABILITY = Map.of(
            "CAP_SYS_ADMIN", List.of("bpf", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie", "mount",
                    "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
                    "sethostname", "setns", "syslog", "umount2", "unshare"),
            "CAP_SYS_MODULE", List.of("delete_module", "finit_module", "init_module"),
            "CAP_SYS_RAWIO", List.of("ioperm", "iopl"),
            "CAP_SYS_TIME", List.of("clock_settime", "settimeofday"),
            "CAP_SYSLOG", List.of("syslog"),
            "CAP_BPF", List.of("bpf"),
            "CAP_PERFMON", List.of("perf_event_open"),
            "CAP_DAC_READ_SEARCH", List.of("open_by_handle_at"));

    /**
     * Read the clock's state (ntptime, glibc's ntp_gettime, node_exporter): allowed unless the
     * container keeps CAP_SYS_TIME, with which the same calls would set the host's clock.
     */
    static final List<String> CLOCK_STATE = List.of("adjtimex", "clock_adjtime");

    /**
     * From Linux 4.8 seccomp checks a call again after a tracer changed it; before, a traced
     * process could be made to run calls its filter denies, so ptrace is never allowed there.
     */
    static final int[] PTRACE_SAFE_KERNEL = {4, 8};
    private static final Pattern KERNEL_RELEASE = Pattern.compile("(\\d+)\\.(\\d+).*");

    /** socket(2) and socketpair(2), whose rules follow the profile's socket families. */
    static final List<String> SOCKET_CALLS = List.of("socket", "socketpair");
    /** The family and netlink protocol arguments of socket(2) (socketpair's protocol is the same argument). */
    static final int FAMILY_ARGUMENT = 0;
    static final int PROTOCOL_ARGUMENT = 2;
    /** Family and protocol numbers are below this; refusal rules cover it by aligned blocks and the rest with one GE. */
    static final long NUMBER_SPAN = 64;

    /** The allowlist for a container with these capabilities (any set, CAP_ names), on this kernel. */
    public static ObjectNode allowlist(SandboxProfile profile, JsonNode capabilities, String javaArch) {
        Set<String> names = new HashSet<>();
        for (String set : CapabilityRules.SETS) {
            capabilities.path(set).forEach(capability -> names.add(CapabilityRules.withPrefix(capability.asText())));
        }
        return allowlist(profile, names, javaArch, System.getProperty("os.version"));
    }

    static ObjectNode allowlist(SandboxProfile profile, Set<String> capabilities, String javaArch, String kernelRelease) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        TreeSet<String> allowed = new TreeSet<>(DEFAULT_ALLOWED);
        if (profile.seccomp() == SeccompLevel.Strict) {
            allowed.removeAll(STRICT_REMOVED);
        }
        FOLLOW_CAPABILITY.forEach((capability, calls) -> {
            if (capabilities.contains(capability) && (!capability.equals("CAP_SYS_PTRACE") || atLeast(kernelRelease, PTRACE_SAFE_KERNEL))) {
                allowed.addAll(calls);
            }
        });
        if (!capabilities.contains("CAP_SYS_TIME")) {
            allowed.addAll(CLOCK_STATE);
        }
        ObjectNode seccomp = json.objectNode();
        seccomp.put("defaultAction", "SCMP_ACT_ERRNO");
        seccomp.put("defaultErrnoRet", EPERM);
        seccomp.putArray("architectures").add(nativeArchitecture(javaArch));
        ArrayNode syscalls = seccomp.putArray("syscalls");

        ObjectNode plain = syscalls.addObject();
        ArrayNode names = plain.putArray("names");
        allowed.forEach(names::add);
        plain.put("action", "SCMP_ACT_ALLOW");

        ObjectNode clone = syscalls.addObject();
        clone.putArray("names").add("clone");
        clone.put("action", "SCMP_ACT_ALLOW");
        clone.putArray("args").addObject()
                .put("index", 0).put("value", CLONE_NAMESPACE_FLAGS).put("valueTwo", 0).put("op", "SCMP_CMP_MASKED_EQ");

        // clone3 passes its flags in memory, where seccomp cannot look: ENOSYS makes libc fall back to clone.
        ObjectNode clone3 = syscalls.addObject();
        clone3.putArray("names").add("clone3");
        clone3.put("action", "SCMP_ACT_ERRNO");
        clone3.put("errnoRet", ENOSYS);

        // personality: only the query (0xffffffff) and PER_LINUX, never a change of execution domain.
        ObjectNode personality = syscalls.addObject();
        personality.putArray("names").add("personality");
        personality.put("action", "SCMP_ACT_ALLOW");
        personality.putArray("args").addObject().put("index", 0).put("value", 0xffffffffL).put("op", "SCMP_CMP_EQ");
        ObjectNode linuxPersonality = syscalls.addObject();
        linuxPersonality.putArray("names").add("personality");
        linuxPersonality.put("action", "SCMP_ACT_ALLOW");
        linuxPersonality.putArray("args").addObject().put("index", 0).put("value", 0).put("op", "SCMP_CMP_EQ");

        syscalls.addAll(socketRules(profile.allowedSocketFamilies()));
        return seccomp;
    }

    /**
     * socket(2) and socketpair(2) for the always-allowed families and netlink protocols and the
     * profile's own: one allowing rule per family (per netlink protocol, unless the profile allows
     * AF_NETLINK whole). Every other family fails with EAFNOSUPPORT and every other netlink
     * protocol with EPROTONOSUPPORT, what a kernel built without them answers, so that programs
     * carry on as they do there (libaudit, and through it sshd, login and useradd, stop on EPERM).
     * The refusals cover all other values of the 64-bit argument, the upper half too (the kernel
     * reads only the lower half: a rule that refuses one value could be passed with a high bit set).
     * No two rules overlap, so libseccomp's order cannot matter.
     */
    static List<ObjectNode> socketRules(List<SocketFamily> profileFamilies) {
        Set<Long> families = new TreeSet<>();
        Set<Long> protocols = new TreeSet<>();
        boolean everyNetlinkProtocol = profileFamilies.contains(SocketFamily.AF_NETLINK);
        List<SocketFamily> all = new ArrayList<>(SocketFamily.ALWAYS_ALLOWED);
        all.addAll(profileFamilies);
        for (SocketFamily family : all) {
            if (family.isNetlinkProtocol()) {
                protocols.add((long) family.number());
            } else if (family != SocketFamily.AF_NETLINK) {
                families.add((long) family.number());
            }
        }
        long netlink = SocketFamily.AF_NETLINK.number();
        List<ObjectNode> rules = new ArrayList<>();
        for (long family : families) {
            rules.add(socketRule("SCMP_ACT_ALLOW", null, equal(FAMILY_ARGUMENT, family)));
        }
        if (everyNetlinkProtocol) {
            rules.add(socketRule("SCMP_ACT_ALLOW", null, equal(FAMILY_ARGUMENT, netlink)));
        } else {
            for (long protocol : protocols) {
                rules.add(socketRule("SCMP_ACT_ALLOW", null, equal(FAMILY_ARGUMENT, netlink), equal(PROTOCOL_ARGUMENT, protocol)));
            }
            for (ObjectNode others : everyValueBut(PROTOCOL_ARGUMENT, protocols)) {
                rules.add(socketRule("SCMP_ACT_ERRNO", EPROTONOSUPPORT, equal(FAMILY_ARGUMENT, netlink), others));
            }
        }
        Set<Long> handled = new TreeSet<>(families);
        handled.add(netlink);
        for (ObjectNode others : everyValueBut(FAMILY_ARGUMENT, handled)) {
            rules.add(socketRule("SCMP_ACT_ERRNO", EAFNOSUPPORT, others));
        }
        return rules;
    }

    private static ObjectNode socketRule(String action, Integer errno, ObjectNode... conditions) {
        ObjectNode rule = JsonNodeFactory.instance.objectNode();
        ArrayNode names = rule.putArray("names");
        SOCKET_CALLS.forEach(names::add);
        rule.put("action", action);
        if (errno != null) {
            rule.put("errnoRet", errno);
        }
        ArrayNode args = rule.putArray("args");
        for (ObjectNode condition : conditions) {
            args.add(condition);
        }
        return rule;
    }

    private static ObjectNode equal(int index, long value) {
        return JsonNodeFactory.instance.objectNode().put("index", index).put("value", value).put("op", "SCMP_CMP_EQ");
    }

    /**
     * One condition per block of argument values that together match every 64-bit value except
     * {@code excluded} (all below {@link #NUMBER_SPAN}), without overlapping: the largest aligned
     * power-of-two blocks below the span (a masked compare each) and one GE for the rest.
     */
    static List<ObjectNode> everyValueBut(int index, Set<Long> excluded) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        List<ObjectNode> conditions = new ArrayList<>();
        long start = 0;
        while (start < NUMBER_SPAN) {
            if (excluded.contains(start)) {
                start++;
                continue;
            }
            long size = Long.lowestOneBit(start == 0 ? NUMBER_SPAN : start);
            while (size > 1 && !freeOf(excluded, start, size)) {
                size /= 2;
            }
            if (size == 1) {
                conditions.add(equal(index, start));
            } else {
                BigInteger mask = new BigInteger(Long.toUnsignedString(-size));
                conditions.add(json.objectNode().put("index", index).put("value", mask).put("valueTwo", start).put("op", "SCMP_CMP_MASKED_EQ"));
            }
            start += size;
        }
        conditions.add(json.objectNode().put("index", index).put("value", NUMBER_SPAN).put("op", "SCMP_CMP_GE"));
        return conditions;
    }

    private static boolean freeOf(Set<Long> excluded, long start, long size) {
        return excluded.stream().noneMatch(value -> value >= start && value < start + size);
    }

    /** Whether a kernel release ("6.1.0-18-amd64") is at least major.minor; an unreadable one is not. */
    static boolean atLeast(String release, int[] version) {
        Matcher matcher = KERNEL_RELEASE.matcher(release == null ? "" : release);
        if (!matcher.matches()) {
            return false;
        }
        int major = Integer.parseInt(matcher.group(1));
        int minor = Integer.parseInt(matcher.group(2));
        return major > version[0] || (major == version[0] && minor >= version[1]);
    }

    /**
     * Our allowlist narrowed by the seccomp profile the container already carries (the pod's
     * RuntimeDefault or Localhost profile), so that the sandbox never allows a call the pod's own
     * profile denies. Per call name, by what their profile says of it:
     * <ul>
     * <li>allowed for any arguments: ours stays;</li>
     * <li>allowed for some arguments only: their rules replace our unconditional allow. Where ours
     * allows single argument values (socket's families, personality's), each stays as far as
     * theirs allows it, with their conditions on the other arguments added; where ours
     * conditions the arguments otherwise (clone's flags), ours stays;</li>
     * <li>otherwise denied: ours goes, our refusals of it too, and their denying rule comes with
     * its action and errno (a program may rely on ENOSYS to fall back). A call they deny only for
     * some arguments, in a profile that allows by default, is denied altogether: narrower than
     * theirs, never wider.</li>
     * </ul>
     * Our other refusals (clone3) stay, and a call theirs allows and ours does not stays denied.
     */
    static ObjectNode narrowedBy(ObjectNode ours, JsonNode theirs) {
        if (!(theirs instanceof ObjectNode) || !theirs.path("syscalls").isArray()) {
            return ours;
        }
        TheirRules rules = TheirRules.of(theirs);
        Set<String> deniedByTheirs = new HashSet<>();
        for (JsonNode rule : ours.path("syscalls")) {
            if (isAllow(rule.path("action").asText())) {
                rule.path("names").forEach(name -> {
                    if (!rules.allowsFully(name.asText()) && !rules.allowsPartly(name.asText())) {
                        deniedByTheirs.add(name.asText());
                    }
                });
            }
        }
        ArrayNode narrowed = JsonNodeFactory.instance.arrayNode();
        Map<String, List<JsonNode>> adopted = new TreeMap<>();
        Map<String, ObjectNode> intersected = new LinkedHashMap<>();
        for (JsonNode rule : ours.path("syscalls")) {
            boolean allow = isAllow(rule.path("action").asText());
            List<String> kept = new ArrayList<>();
            for (JsonNode nameNode : rule.path("names")) {
                String name = nameNode.asText();
                if (!allow) {
                    // Our refusals stay (clone3's ENOSYS is what makes libc fall back to clone), unless
                    // theirs denies the call outright: then their answer holds for every argument.
                    if (!deniedByTheirs.contains(name)) {
                        kept.add(name);
                    }
                } else if (rules.allowsFully(name)) {
                    kept.add(name);
                } else if (rules.allowsPartly(name)) {
                    if (!isConditional(rule)) {
                        adopted.put(name, rules.conditionalAllows(name));
                    } else if (isValues(rule)) {
                        intersection(name, rule, rules.conditionalAllows(name)).forEach(r -> intersected.putIfAbsent(r.toString(), r));
                    } else {
                        kept.add(name);
                    }
                } else {
                    adopted.put(name, rules.unconditionalDenies(name).stream().filter(deny -> !sameAsDefault(deny, ours)).toList());
                }
            }
            if (!kept.isEmpty()) {
                ObjectNode copy = rule.deepCopy();
                ArrayNode names = copy.putArray("names");
                kept.forEach(names::add);
                narrowed.add(copy);
            }
        }
        intersected.values().forEach(narrowed::add);
        adopted.forEach((name, theirRules) -> theirRules.forEach(rule -> {
            ObjectNode copy = ((ObjectNode) rule).deepCopy();
            copy.putArray("names").add(name);
            narrowed.add(copy);
        }));
        ours.set("syscalls", narrowed);
        return ours;
    }

    /** A rule that allows single values of its arguments: every condition an EQ, each on its own argument. */
    private static boolean isValues(JsonNode rule) {
        Set<Integer> indexes = new HashSet<>();
        for (JsonNode condition : rule.path("args")) {
            if (!condition.path("op").asText().equals("SCMP_CMP_EQ") || !indexes.add(condition.path("index").asInt())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The part of our single-values rule that their allowing rules allow too: for each of theirs
     * whose conditions on our arguments our values meet, our rule with their conditions on the
     * other arguments added. runc splits a rule with two conditions on one argument into one rule
     * per condition (an OR), so such a rule of theirs is read that way here too.
     */
    private static List<ObjectNode> intersection(String name, JsonNode ours, List<JsonNode> theirAllows) {
        Map<Integer, Long> values = new HashMap<>();
        ours.path("args").forEach(condition -> values.put(condition.path("index").asInt(), unsigned(condition.path("value"))));
        List<ObjectNode> result = new ArrayList<>();
        for (JsonNode theirs : theirAllows) {
            for (List<JsonNode> conditions : asRuncApplies(theirs)) {
                if (!conditions.stream().allMatch(c -> !values.containsKey(c.path("index").asInt()) || holds(c, values.get(c.path("index").asInt())))) {
                    continue;
                }
                ObjectNode rule = JsonNodeFactory.instance.objectNode();
                rule.putArray("names").add(name);
                rule.put("action", "SCMP_ACT_ALLOW");
                ArrayNode args = rule.putArray("args");
                ours.path("args").forEach(condition -> args.add(condition.deepCopy()));
                conditions.stream().filter(c -> !values.containsKey(c.path("index").asInt())).forEach(c -> args.add(c.deepCopy()));
                result.add(rule);
            }
        }
        return result;
    }

    private static List<List<JsonNode>> asRuncApplies(JsonNode rule) {
        List<JsonNode> conditions = new ArrayList<>();
        rule.path("args").forEach(conditions::add);
        Set<Integer> indexes = new HashSet<>();
        boolean repeated = conditions.stream().anyMatch(c -> !indexes.add(c.path("index").asInt()));
        return repeated ? conditions.stream().map(List::of).toList() : List.of(conditions);
    }

    /** Whether a seccomp argument condition holds for a value (unsigned 64-bit, as the kernel compares). */
    static boolean holds(JsonNode condition, long value) {
        long operand = unsigned(condition.path("value"));
        return switch (condition.path("op").asText()) {
            case "SCMP_CMP_NE" -> value != operand;
            case "SCMP_CMP_LT" -> Long.compareUnsigned(value, operand) < 0;
            case "SCMP_CMP_LE" -> Long.compareUnsigned(value, operand) <= 0;
            case "SCMP_CMP_EQ" -> value == operand;
            case "SCMP_CMP_GE" -> Long.compareUnsigned(value, operand) >= 0;
            case "SCMP_CMP_GT" -> Long.compareUnsigned(value, operand) > 0;
            case "SCMP_CMP_MASKED_EQ" -> (value & operand) == unsigned(condition.path("valueTwo"));
            default -> false;
        };
    }

    private static long unsigned(JsonNode number) {
        return number.isNumber() ? number.bigIntegerValue().longValue() : 0;
    }

    /** What the container's own profile says of each call name. */
    private record TheirRules(boolean allowsByDefault, Set<String> unconditionalAllows, Map<String, List<JsonNode>> conditionalAllows,
                              Map<String, List<JsonNode>> unconditionalDenies, Set<String> conditionallyDenied) {

        static TheirRules of(JsonNode profile) {
            TheirRules rules = new TheirRules(isAllow(profile.path("defaultAction").asText()), new HashSet<>(), new HashMap<>(),
                    new HashMap<>(), new HashSet<>());
            for (JsonNode rule : profile.path("syscalls")) {
                boolean allow = isAllow(rule.path("action").asText());
                boolean conditional = isConditional(rule);
                for (JsonNode nameNode : rule.path("names")) {
                    String name = nameNode.asText();
                    if (allow && conditional) {
                        rules.conditionalAllows.computeIfAbsent(name, n -> new ArrayList<>()).add(rule);
                    } else if (allow) {
                        rules.unconditionalAllows.add(name);
                    } else if (conditional) {
                        rules.conditionallyDenied.add(name);
                    } else {
                        rules.unconditionalDenies.computeIfAbsent(name, n -> new ArrayList<>()).add(rule);
                    }
                }
            }
            return rules;
        }

        boolean allowsFully(String name) {
            boolean allowed = unconditionalAllows.contains(name) || allowsByDefault;
            return allowed && !unconditionalDenies.containsKey(name) && !conditionallyDenied.contains(name);
        }

        boolean allowsPartly(String name) {
            return !allowsFully(name) && conditionalAllows.containsKey(name) && !unconditionalDenies.containsKey(name);
        }

        List<JsonNode> conditionalAllows(String name) {
            return conditionalAllows.get(name);
        }

        List<JsonNode> unconditionalDenies(String name) {
            return unconditionalDenies.getOrDefault(name, List.of());
        }
    }

    private static boolean isConditional(JsonNode rule) {
        return rule.path("args").isArray() && !rule.path("args").isEmpty();
    }

    /** A denying rule that only repeats our default action (libseccomp refuses such a rule). */
    private static boolean sameAsDefault(JsonNode rule, JsonNode ours) {
        return rule.path("action").asText().equals(ours.path("defaultAction").asText())
                && rule.path("errnoRet").asInt(ours.path("defaultErrnoRet").asInt()) == ours.path("defaultErrnoRet").asInt();
    }

    private static boolean isAllow(String action) {
        return action.equals("SCMP_ACT_ALLOW") || action.equals("SCMP_ACT_LOG");
    }

    static String nativeArchitecture(String javaArch) {
        return switch (javaArch) {
            case "amd64", "x86_64" -> "SCMP_ARCH_X86_64";
            case "aarch64" -> "SCMP_ARCH_AARCH64";
            default -> throw new IllegalStateException("no seccomp architecture known for os.arch " + javaArch);
        };
    }

    private SeccompProfiles() {
    }
}
