/* Tries a system call and prints "<name>: ok" or "<name>: <errno text>", one line per call: the
   calls an escape needs, the socket families and netlink protocols a container may open, calls
   ordinary programs make (NUMA memory policy, protection keys, Landlock, file handles, the clock's
   state), calls capabilities gate (chroot, tracing a child) and a block device node. Built static by the tests and
   copied into the busybox root filesystem. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/landlock.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char *name, long result) {
    if (result < 0) {
        printf("%s: %s\n", name, strerror(errno));
        return 1;
    }
    printf("%s: ok\n", name);
    return 0;
}

struct family {
    const char *name;
    int domain;
    int type;
    int protocol;
};

/* The socket a program of that family would open first. */
static const struct family FAMILIES[] = {
    {"unix", AF_UNIX, SOCK_STREAM, 0},
    {"inet", AF_INET, SOCK_STREAM, 0},
    {"inet6", AF_INET6, SOCK_STREAM, 0},
    {"netlink-route", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE},
    {"netlink-audit", AF_NETLINK, SOCK_RAW, NETLINK_AUDIT},
    {"netlink-sock-diag", AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG},
    {"netlink-netfilter", AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER},
    {"netlink-kobject-uevent", AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT},
    {"netlink-generic", AF_NETLINK, SOCK_RAW, NETLINK_GENERIC},
    {"netlink-xfrm", AF_NETLINK, SOCK_RAW, NETLINK_XFRM},
    {"packet", AF_PACKET, SOCK_DGRAM, 0},
    {"vsock", AF_VSOCK, SOCK_STREAM, 0},
    {"alg", AF_ALG, SOCK_SEQPACKET, 0},
    {"xdp", AF_XDP, SOCK_RAW, 0},
    {"llc", AF_LLC, SOCK_DGRAM, 0},
    {"tipc", AF_TIPC, SOCK_RDM, 0},
    {"rds", AF_RDS, SOCK_SEQPACKET, 0},
    {"key", AF_KEY, SOCK_RAW, 2 /* PF_KEY_V2 */},
    {"can", AF_CAN, SOCK_RAW, 1 /* CAN_RAW */},
    {"bluetooth", AF_BLUETOOTH, SOCK_RAW, 1 /* BTPROTO_HCI */},
};

static const struct family *family(const char *name) {
    for (size_t i = 0; i < sizeof FAMILIES / sizeof FAMILIES[0]; i++) {
        if (!strcmp(FAMILIES[i].name, name)) {
            return &FAMILIES[i];
        }
    }
    fprintf(stderr, "unknown family %s\n", name);
    exit(2);
}

static int sockets(int count, char **names) {
    int failures = 0;
    for (int i = 0; i < count; i++) {
        const struct family *f = family(names[i]);
        int fd = socket(f->domain, f->type, f->protocol);
        failures += report(f->name, fd);
        if (fd >= 0) {
            close(fd);
        }
    }
    return failures;
}

static int socketpairs(int count, char **names) {
    int failures = 0;
    for (int i = 0; i < count; i++) {
        const struct family *f = family(names[i]);
        int fds[2];
        int result = socketpair(f->domain, f->type, f->protocol, fds);
        failures += report(f->name, result);
        if (result == 0) {
            close(fds[0]);
            close(fds[1]);
        }
    }
    return failures;
}

/* socket(2) with the raw 64-bit register value: the kernel reads only the low 32 bits. */
static int rawSocket(const char *domain) {
    unsigned long value = strtoul(domain, NULL, 0);
    long fd = syscall(SYS_socket, value, (long) SOCK_STREAM, 0L);
    char what[64];
    snprintf(what, sizeof what, "socket(%#lx)", value);
    return report(what, fd);
}

/* What a NUMA-aware program or the JVM (ZGC, -XX:+UseNUMA) asks first. */
static int mempolicy(void) {
    int mode = 0;
    int failures = report("get_mempolicy", syscall(SYS_get_mempolicy, &mode, NULL, 0UL, NULL, 0UL));
    failures += report("set_mempolicy", syscall(SYS_set_mempolicy, 0 /* MPOL_DEFAULT */, NULL, 0UL));
    long page = sysconf(_SC_PAGESIZE);
    void *memory = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    failures += report("mbind", syscall(SYS_mbind, memory, page, 0 /* MPOL_DEFAULT */, NULL, 0UL, 0U));
    return failures;
}

/* Memory protection keys, as OpenSSL's secure heap or a JIT's W^X use them. */
static int pkey(void) {
    long key = syscall(SYS_pkey_alloc, 0U, 0U);
    int failures = report("pkey_alloc", key);
    if (key < 0) {
        return failures;
    }
    long page = sysconf(_SC_PAGESIZE);
    void *memory = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    failures += report("pkey_mprotect", syscall(SYS_pkey_mprotect, memory, page, PROT_READ | PROT_WRITE, key));
    failures += report("pkey_free", syscall(SYS_pkey_free, key));
    return failures;
}

/* A program sandboxing itself: after landlock_restrict_self it may read below /tmp only. */
static int landlock(void) {
    struct landlock_ruleset_attr ruleset = {.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE};
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0UL, LANDLOCK_CREATE_RULESET_VERSION);
    if (report("landlock_create_ruleset(version)", abi)) {
        return 1;
    }
    long fd = syscall(SYS_landlock_create_ruleset, &ruleset, sizeof ruleset, 0U);
    if (report("landlock_create_ruleset", fd)) {
        return 1;
    }
    struct landlock_path_beneath_attr beneath = {.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE, .parent_fd = open("/tmp", O_PATH)};
    if (report("landlock_add_rule", syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0U))) {
        return 1;
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (report("landlock_restrict_self", syscall(SYS_landlock_restrict_self, fd, 0U))) {
        return 1;
    }
    close(open("/tmp/landlock-allowed", O_CREAT | O_WRONLY, 0600));
    int failures = report("read /tmp/landlock-allowed", open("/tmp/landlock-allowed", O_RDONLY));
    int outside = open("/etc/passwd", O_RDONLY);
    printf("read /etc/passwd: %s\n", outside < 0 ? strerror(errno) : "ok");
    return failures + (outside >= 0);
}

static int nameToHandle(const char *path) {
    struct file_handle *handle = malloc(sizeof(struct file_handle) + MAX_HANDLE_SZ);
    handle->handle_bytes = MAX_HANDLE_SZ;
    int mount_id;
    return report("name_to_handle_at", name_to_handle_at(AT_FDCWD, path, handle, &mount_id, 0));
}

/* What ntptime, chronyc and Go's runtime read: the clock's state, changing nothing. */
static int readClock(void) {
    struct timex state = {.modes = 0};
    return report("adjtimex (read)", adjtimex(&state));
}

/* strace's way in: seize a child, stop it, read its memory, let it go. */
static int traceChild(void) {
    static volatile long secret = 42;
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    int failures = report("ptrace", ptrace(PTRACE_SEIZE, child, 0, 0));
    if (!failures) {
        ptrace(PTRACE_INTERRUPT, child, 0, 0);
        waitpid(child, NULL, 0);
        long copy = 0;
        struct iovec local = {&copy, sizeof copy}, remote = {(void *) &secret, sizeof secret};
        failures += report("process_vm_readv", process_vm_readv(child, &local, 1, &remote, 1, 0));
        ptrace(PTRACE_DETACH, child, 0, 0);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return failures;
}

/* An opened file handle of the root directory: the call behind the 2014 "shocker" escape. */
static int openByHandle(void) {
    struct {
        struct file_handle handle;
        unsigned char bytes[8];
    } root = {{8, 1 /* FILEID_INO32_GEN */}, {2, 0, 0, 0, 0, 0, 0, 0}};
    return report("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, &root.handle, O_RDONLY));
}

/* A block device node for the host's first disk (8:0), then a read of it. */
static int deviceNode(void) {
    if (report("mknod", mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0)))) {
        return 1;
    }
    return report("open", open("/tmp/sda", O_RDONLY));
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: probe keyctl|bpf|ptrace|mount|unshare-user|unshare-mount|userns-mount|kcore"
                        " | socket|socketpair FAMILY... | socket-raw DOMAIN | mempolicy | pkey | landlock | name-to-handle PATH"
                        " | adjtimex | chroot DIR | trace-child | io_uring | perf_event_open | userfaultfd | open_by_handle_at"
                        " | device-node\n");
        return 2;
    }
    const char *what = argv[1];
    if (!strcmp(what, "keyctl")) {
        return report(what, syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 1));
    }
    if (!strcmp(what, "bpf")) {
        unsigned int attr[32] = {2 /* ARRAY */, 4, 4, 1};
        return report(what, syscall(SYS_bpf, 0 /* MAP_CREATE */, attr, sizeof attr));
    }
    if (!strcmp(what, "ptrace")) {
        return report(what, ptrace(PTRACE_TRACEME, 0, 0, 0));
    }
    if (!strcmp(what, "mount")) {
        return report(what, mount("none", "/mnt", "tmpfs", 0, NULL));
    }
    if (!strcmp(what, "unshare-user")) {
        return report(what, unshare(CLONE_NEWUSER));
    }
    if (!strcmp(what, "unshare-mount")) {
        return report(what, unshare(CLONE_NEWNS));
    }
    if (!strcmp(what, "userns-mount")) {
        if (report("unshare(user+mount)", unshare(CLONE_NEWUSER | CLONE_NEWNS))) {
            return 1;
        }
        return report(what, mount("none", "/mnt", "tmpfs", 0, NULL));
    }
    if (!strcmp(what, "kcore")) {
        int fd = open("/proc/kcore", O_RDONLY);
        if (fd < 0) {
            return report(what, -1);
        }
        char buffer[16];
        long n = read(fd, buffer, sizeof buffer);
        if (n < 0) {
            return report(what, -1);
        }
        printf("kcore: read %ld bytes\n", n);
        return n > 0 ? 0 : 1;
    }
    if (!strcmp(what, "socket")) {
        return sockets(argc - 2, argv + 2);
    }
    if (!strcmp(what, "socketpair")) {
        return socketpairs(argc - 2, argv + 2);
    }
    if (!strcmp(what, "socket-raw") && argc == 3) {
        return rawSocket(argv[2]);
    }
    if (!strcmp(what, "mempolicy")) {
        return mempolicy();
    }
    if (!strcmp(what, "pkey")) {
        return pkey();
    }
    if (!strcmp(what, "landlock")) {
        return landlock();
    }
    if (!strcmp(what, "name-to-handle") && argc == 3) {
        return nameToHandle(argv[2]);
    }
    if (!strcmp(what, "adjtimex")) {
        return readClock();
    }
    if (!strcmp(what, "chroot") && argc == 3) {
        return report("chroot", chroot(argv[2]));
    }
    if (!strcmp(what, "io_uring")) {
        struct io_uring_params params = {0};
        return report(what, syscall(SYS_io_uring_setup, 4, &params));
    }
    if (!strcmp(what, "perf_event_open")) {
        struct perf_event_attr attr = {.type = PERF_TYPE_SOFTWARE, .size = sizeof attr, .config = PERF_COUNT_SW_CPU_CLOCK,
                                       .disabled = 1, .exclude_kernel = 1};
        return report(what, syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    }
    if (!strcmp(what, "userfaultfd")) {
        return report(what, syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */));
    }
    if (!strcmp(what, "open_by_handle_at")) {
        return openByHandle();
    }
    if (!strcmp(what, "device-node")) {
        return deviceNode();
    }
    if (!strcmp(what, "trace-child")) {
        return traceChild();
    }
    fprintf(stderr, "unknown probe %s\n", what);
    return 2;
}
