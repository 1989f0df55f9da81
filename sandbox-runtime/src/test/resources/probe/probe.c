/* Tries one system call an escape needs and prints "<name>: ok" or "<name>: <errno text>".
   Built static by the tests and copied into the busybox root filesystem. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

static int report(const char *name, long result) {
    if (result < 0) {
        printf("%s: %s\n", name, strerror(errno));
        return 1;
    }
    printf("%s: ok\n", name);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: probe keyctl|bpf|ptrace|mount|unshare-user|unshare-mount|userns-mount|kcore\n");
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
    fprintf(stderr, "unknown probe %s\n", what);
    return 2;
}
