package dev.stockade.supervisor.notify;

import dev.stockade.supervisor.audit.SupervisorMetrics;
import dev.stockade.supervisor.audit.Violation;
import dev.stockade.supervisor.audit.ViolationRecorder;
import dev.stockade.supervisor.linux.Libc;
import dev.stockade.supervisor.listener.SandboxContainer;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.locks.LockSupport;

/**
 * Answers the seccomp notifications of one container on its own thread: uname is emulated (the
 * profile's kernel identity written into the caller's buffer), every other notified call is
 * denied with EPERM and recorded. Nothing is ever allowed to run on the strength of memory the
 * caller could change. The thread ends when the container's last task is gone (POLLHUP) or when
 * the supervisor hands the fd to its successor ({@link #stopForHandover}).
 */
public final class NotificationChannel implements Runnable {

    private static final System.Logger LOG = System.getLogger(NotificationChannel.class.getName());
    private static final int POLL_MILLIS = 200;

    public interface Listener {
        /** The channel's thread ended; {@code containerGone} is false when it stopped for a handover. */
        void ended(NotificationChannel channel, boolean containerGone);
    }

    private final int notifyFd;
    private final SandboxContainer container;
    private final byte[] utsName;
    private final SupervisorMetrics metrics;
    private final ViolationRecorder violations;
    private final NotificationBudget budget;
    private final Listener listener;
    private volatile boolean stopping;
    private Thread thread;

    public NotificationChannel(int notifyFd, SandboxContainer container, String hostMachine, SupervisorMetrics metrics,
                               ViolationRecorder violations, NotificationBudget budget, Listener listener) {
        this.notifyFd = notifyFd;
        this.container = container;
        this.utsName = container.kernelIdentity() == null ? null
                : UtsName.encode(container.kernelIdentity(), container.nodename(), container.domainname(), hostMachine);
        this.metrics = metrics;
        this.violations = violations;
        this.budget = budget;
        this.listener = listener;
    }

    public SandboxContainer container() {
        return container;
    }

    public int notifyFd() {
        return notifyFd;
    }

    public synchronized void start() {
        try (Arena arena = Arena.ofConfined()) {
            // Kernel 6.6+: wake the answered task on our CPU (10 µs instead of ~80 µs across CPUs here).
            Libc.ioctl(notifyFd, Seccomp.IOCTL_NOTIF_SET_FLAGS, arena.allocateFrom(ValueLayout.JAVA_LONG, Seccomp.FD_SYNC_WAKE_UP));
        } catch (Libc.Errno e) {
            LOG.log(Level.DEBUG, "SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP not available: " + e.getMessage());
        }
        thread = Thread.ofPlatform().name("notify-" + container.id()).daemon().start(this);
    }

    /** Stops answering after the notification in hand, leaving the fd open for the successor. */
    public void stopForHandover() throws InterruptedException {
        stopping = true;
        Thread running;
        synchronized (this) {
            running = thread;
        }
        if (running != null) {
            running.join();
        }
    }

    @Override
    public void run() {
        boolean containerGone = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollFd = arena.allocate(8, 4);
            MemorySegment notification = arena.allocate(Seccomp.NOTIF);
            MemorySegment response = arena.allocate(Seccomp.RESPONSE);
            MemorySegment id = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment uts = utsName == null ? null : arena.allocateFrom(ValueLayout.JAVA_BYTE, utsName);
            // struct iovec pairs for process_vm_writev: the utsname here, the caller's buffer there.
            MemorySegment localIov = arena.allocate(16, 8);
            MemorySegment remoteIov = arena.allocate(16, 8);
            if (uts != null) {
                localIov.set(ValueLayout.ADDRESS, 0, uts);
                localIov.set(ValueLayout.JAVA_LONG, 8, UtsName.BYTES);
                remoteIov.set(ValueLayout.JAVA_LONG, 8, UtsName.BYTES);
            }
            while (!stopping) {
                pollFd.set(ValueLayout.JAVA_INT, 0, notifyFd);
                pollFd.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
                pollFd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                int ready;
                try {
                    ready = Libc.poll(pollFd, 1, POLL_MILLIS);
                } catch (Libc.Errno e) {
                    if (e.errno() == Libc.EINTR) {
                        continue;
                    }
                    throw e;
                }
                if (ready == 0) {
                    continue;
                }
                short revents = pollFd.get(ValueLayout.JAVA_SHORT, 6);
                if ((revents & Libc.POLLIN) == 0 && (revents & (Libc.POLLHUP | Libc.POLLERR | Libc.POLLNVAL)) != 0) {
                    // No task uses the filter any more: NOTIF_RECV would fail with ENOENT forever.
                    containerGone = true;
                    break;
                }
                waitForBudget();
                notification.fill((byte) 0);
                try {
                    Libc.ioctl(notifyFd, Seccomp.IOCTL_NOTIF_RECV, notification);
                } catch (Libc.Errno e) {
                    // ENOENT: the caller was killed or interrupted between poll and receive.
                    if (e.errno() == Libc.ENOENT || e.errno() == Libc.EINTR) {
                        continue;
                    }
                    throw e;
                }
                metrics.notificationReceived();
                answer(notification, response, id, uts, localIov, remoteIov);
            }
        } catch (Libc.Errno | RuntimeException e) {
            LOG.log(Level.ERROR, "stopped answering seccomp notifications of " + container.describe() + ": " + e.getMessage(), e);
            containerGone = true;
        } finally {
            if (containerGone) {
                Libc.close(notifyFd);
            }
            listener.ended(this, containerGone);
        }
    }

    private void waitForBudget() {
        long wait = budget.take(System.nanoTime());
        if (wait > 0) {
            metrics.throttled();
        }
        while (wait > 0 && !stopping) {
            LockSupport.parkNanos(wait);
            wait = budget.take(System.nanoTime());
        }
    }

    private void answer(MemorySegment notification, MemorySegment response, MemorySegment id, MemorySegment uts,
                        MemorySegment localIov, MemorySegment remoteIov) throws Libc.Errno {
        long notificationId = notification.get(ValueLayout.JAVA_LONG, Seccomp.NOTIF_ID);
        int pid = notification.get(ValueLayout.JAVA_INT, Seccomp.NOTIF_PID);
        int nr = notification.get(ValueLayout.JAVA_INT, Seccomp.NOTIF_NR);
        int arch = notification.get(ValueLayout.JAVA_INT, Seccomp.NOTIF_ARCH);
        id.set(ValueLayout.JAVA_LONG, 0, notificationId);
        int error;
        if (arch == Syscalls.AUDIT_ARCH_X86_64 && nr == Syscalls.UNAME && uts != null) {
            error = emulateUname(notification, id, localIov, remoteIov, pid);
            if (error == Integer.MIN_VALUE) {
                return;
            }
        } else {
            error = -Libc.EPERM;
            violations.record(new Violation(container, pid,
                    arch == Syscalls.AUDIT_ARCH_X86_64 ? Syscalls.name(nr) : "arch_" + Integer.toHexString(arch) + "_" + nr),
                    System.nanoTime());
        }
        response.fill((byte) 0);
        response.set(ValueLayout.JAVA_LONG, Seccomp.RESPONSE_ID, notificationId);
        response.set(ValueLayout.JAVA_INT, Seccomp.RESPONSE_ERROR, error);
        try {
            Libc.ioctl(notifyFd, Seccomp.IOCTL_NOTIF_SEND, response);
        } catch (Libc.Errno e) {
            // ENOENT: the caller died or was interrupted while we answered; nothing waits for this answer.
            if (e.errno() != Libc.ENOENT) {
                throw e;
            }
            metrics.failedAnswer();
        }
    }

    /**
     * Writes the utsname into the caller's buffer with process_vm_writev, which honours page
     * protections as the kernel's own uname does: a read-only or unmapped buffer gets EFAULT.
     * Returns 0, a negative errno, or MIN_VALUE when the notification is gone (no answer to send).
     */
    private int emulateUname(MemorySegment notification, MemorySegment id, MemorySegment localIov, MemorySegment remoteIov, int pid)
            throws Libc.Errno {
        remoteIov.set(ValueLayout.JAVA_LONG, 0, notification.get(ValueLayout.JAVA_LONG, Seccomp.NOTIF_ARGS));
        // process_vm_writev finds the task by pid when called, so the check comes right before it: while
        // the notification is valid the caller waits in uname, alive, and its pid is nobody else's. The
        // pid could only name another process if, between these two calls, the caller were killed,
        // reaped and its pid handed out again (the host's pid counter coming round to it).
        try {
            Libc.ioctl(notifyFd, Seccomp.IOCTL_NOTIF_ID_VALID, id);
        } catch (Libc.Errno e) {
            metrics.failedAnswer();
            return Integer.MIN_VALUE;
        }
        long written;
        try {
            written = Libc.processVmWritev(pid, localIov, remoteIov);
        } catch (Libc.Errno e) {
            if (e.errno() == Libc.ESRCH) {
                metrics.failedAnswer();
                return Integer.MIN_VALUE;
            }
            if (e.errno() == Libc.EFAULT) {
                return -Libc.EFAULT;
            }
            metrics.failedAnswer();
            return -Libc.EPERM;
        }
        if (written != UtsName.BYTES) {
            // The buffer runs into a page the caller cannot write: the kernel's uname fails the same way.
            return -Libc.EFAULT;
        }
        metrics.emulatedUname();
        return 0;
    }
}
