/* Minimal seccomp user-notification agent in C: the benchmark's reference point, not product
 * code. Listens on a unix socket like the Stockade supervisor, takes runc's notify fd, answers
 * uname with a fixed utsname through process_vm_writev (after NOTIF_ID_VALID) and everything else
 * with EPERM. One thread per container. Built by run-benchmark.sh with gcc.
 *   reference-agent SOCKET_PATH
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static struct utsname fake;

static void *answer(void *arg) {
    int fd = (int)(intptr_t)arg;
    unsigned long long sync_flag = 1; /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, as the supervisor sets it */
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, &sync_flag);
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, -1) < 0) continue;
        if (!(p.revents & POLLIN) && (p.revents & (POLLHUP | POLLERR))) break;
        memset(&req, 0, sizeof req);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) continue;
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        if (req.data.nr == SYS_uname) {
            if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) < 0) continue;
            struct iovec local = {&fake, sizeof fake}, remote = {(void *)(uintptr_t)req.data.args[0], sizeof fake};
            ssize_t written = process_vm_writev(req.pid, &local, 1, &remote, 1, 0);
            if (written < 0 && errno == ESRCH) continue;
            if (written != sizeof fake) resp.error = written < 0 && errno != EFAULT ? -EPERM : -EFAULT;
        } else {
            resp.error = -EPERM;
        }
        ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: reference-agent SOCKET_PATH\n"); return 2; }
    uname(&fake);
    strcpy(fake.release, "4.4.0");
    strcpy(fake.version, "#1 SMP Sun Jan 10 15:06:54 PST 2016");
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
    unlink(argv[1]);
    if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 128) < 0) { perror("bind/listen"); return 1; }
    for (;;) {
        int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) continue;
        char data[65536];
        char control[CMSG_SPACE(sizeof(int) * 4)];
        struct iovec iov = {data, sizeof data};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
        ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
        close(c);
        if (n <= 0) continue;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                int fd;
                memcpy(&fd, CMSG_DATA(cm), sizeof fd);
                pthread_t t;
                pthread_create(&t, NULL, answer, (void *)(intptr_t)fd);
                pthread_detach(t);
            }
        }
    }
}
