// The benchmark image's helper (static): a monotonic clock in nanoseconds for timing workloads
// inside the container (busybox's date has no %N), and tight loops of one cheap system call.
//   bench-tool now              prints CLOCK_MONOTONIC in ns
//   bench-tool getpid|uname N   makes N such calls, prints the nanoseconds per call
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static long long now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long) t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "now")) {
        printf("%lld\n", now());
        return 0;
    }
    if (argc == 3) {
        long n = atol(argv[2]);
        struct utsname names;
        long long start = now();
        if (!strcmp(argv[1], "getpid")) {
            for (long i = 0; i < n; i++) {
                syscall(SYS_getpid); // not glibc's getpid(), which may be answered without a call
            }
        } else if (!strcmp(argv[1], "uname")) {
            for (long i = 0; i < n; i++) {
                uname(&names);
            }
        } else {
            return 2;
        }
        printf("%.1f\n", (double) (now() - start) / n);
        return 0;
    }
    fprintf(stderr, "usage: bench-tool now | getpid N | uname N\n");
    return 2;
}
