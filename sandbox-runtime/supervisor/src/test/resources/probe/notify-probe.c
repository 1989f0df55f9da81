/* Test-only helper, built statically by the tests with gcc and copied into a busybox rootfs.
 * Makes precise syscalls and checks their return codes:
 *   notify-probe uname                   print the release; exit 1 if uname fails
 *   notify-probe uname-readonly          uname into a read-only page; print its result and whether the page changed
 *   notify-probe uname-loop SECONDS      call uname for SECONDS; print calls, failures, max latency (us), release
 *   notify-probe call NAME               make syscall NAME with harmless arguments; print "NAME -1 EPERM" or "NAME 0"
 *   notify-probe hammer NAME SECONDS     make syscall NAME as fast as possible for SECONDS; print the count
 *   notify-probe latency COUNT           COUNT unames; print p50 p99 in ns
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static long call(const char *name) {
    char buf[64] = {0};
    if (!strcmp(name, "mount")) return syscall(SYS_mount, "none", "/mnt", "tmpfs", 0, 0);
    if (!strcmp(name, "umount2")) return syscall(SYS_umount2, "/mnt", 0);
    if (!strcmp(name, "unshare")) return syscall(SYS_unshare, 0x00020000 /* CLONE_NEWNS */);
    if (!strcmp(name, "setns")) return syscall(SYS_setns, 0, 0);
    if (!strcmp(name, "keyctl")) return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
    if (!strcmp(name, "add_key")) return syscall(SYS_add_key, "user", "stockade", buf, 1, -3);
    if (!strcmp(name, "bpf")) return syscall(SYS_bpf, 0, buf, 0);
    if (!strcmp(name, "ptrace")) return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
    if (!strcmp(name, "init_module")) return syscall(SYS_init_module, buf, 0, "");
    if (!strcmp(name, "finit_module")) return syscall(SYS_finit_module, -1, "", 0);
    if (!strcmp(name, "kexec_load")) return syscall(SYS_kexec_load, 0, 0, 0, 0);
    if (!strcmp(name, "open_by_handle_at")) return syscall(SYS_open_by_handle_at, -1, buf, 0);
    if (!strcmp(name, "perf_event_open")) return syscall(SYS_perf_event_open, buf, 0, -1, -1, 0);
    if (!strcmp(name, "userfaultfd")) return syscall(SYS_userfaultfd, 0);
    if (!strcmp(name, "pivot_root")) return syscall(SYS_pivot_root, "/", "/");
    if (!strcmp(name, "reboot")) return syscall(SYS_reboot, 0, 0, 0, 0);
    fprintf(stderr, "unknown syscall %s\n", name);
    exit(2);
}

static int compare_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    struct utsname u;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && !strcmp(argv[1], "uname")) {
        memset(&u, 0, sizeof u);
        if (uname(&u) != 0) { printf("uname failed: %s\n", strerror(errno)); return 1; }
        printf("%s %s %s %s %s\n", u.sysname, u.release, u.machine, u.nodename, u.version);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "uname-readonly")) {
        /* The kernel's uname fails with EFAULT here and writes nothing; an emulation must do the same. */
        long size = sysconf(_SC_PAGESIZE);
        unsigned char *page = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED) { printf("mmap failed: %s\n", strerror(errno)); return 1; }
        memset(page, 0xA5, size);
        if (mprotect(page, size, PROT_READ) != 0) { printf("mprotect failed: %s\n", strerror(errno)); return 1; }
        errno = 0;
        long rc = syscall(SYS_uname, page);
        int saved = errno;
        long changed = 0;
        for (long i = 0; i < size; i++) if (page[i] != 0xA5) changed++;
        printf("uname-readonly %ld %s page %s\n", rc, rc < 0 ? (saved == EFAULT ? "EFAULT" : strerror(saved)) : "OK",
               changed ? "changed" : "unchanged");
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "uname-loop")) {
        long end = now_ns() + atol(argv[2]) * 1000000000L, calls = 0, failures = 0, max = 0;
        char release[65] = "";
        while (now_ns() < end) {
            memset(&u, 0, sizeof u);
            long start = now_ns();
            int rc = uname(&u);
            long took = now_ns() - start;
            if (took > max) max = took;
            calls++;
            if (rc != 0 || u.release[0] == 0) failures++;
            else if (strcmp(release, u.release)) {
                if (release[0]) failures++; /* the answer changed mid-run */
                strcpy(release, u.release);
            }
        }
        printf("calls=%ld failures=%ld max_us=%ld release=%s\n", calls, failures, max / 1000, release);
        return failures ? 1 : 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "call")) {
        errno = 0;
        long rc = call(argv[2]);
        printf("%s %ld %s\n", argv[2], rc, rc < 0 ? (errno == EPERM ? "EPERM" : strerror(errno)) : "OK");
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "hammer")) {
        long end = now_ns() + atol(argv[3]) * 1000000000L, calls = 0, denied = 0;
        while (now_ns() < end) {
            if (call(argv[2]) < 0 && errno == EPERM) denied++;
            calls++;
        }
        printf("calls=%ld denied=%ld\n", calls, denied);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "latency")) {
        long count = atol(argv[2]);
        long *samples = calloc(count, sizeof(long));
        for (long i = 0; i < count; i++) {
            long start = now_ns();
            if (uname(&u) != 0) { printf("uname failed: %s\n", strerror(errno)); return 1; }
            samples[i] = now_ns() - start;
        }
        qsort(samples, count, sizeof(long), compare_long);
        printf("p50_ns=%ld p99_ns=%ld max_ns=%ld release=%s\n", samples[count / 2], samples[count * 99 / 100], samples[count - 1], u.release);
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of notify-probe.c\n");
    return 2;
}
