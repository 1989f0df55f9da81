package dev.stockade.supervisor.notify;

import dev.stockade.supervisor.audit.SupervisorMetrics;
import dev.stockade.supervisor.audit.Violation;
import dev.stockade.supervisor.audit.ViolationRecorder;
import dev.stockade.supervisor.linux.Errno;
import dev.stockade.supervisor.linux.Libc;
import dev.stockade.supervisor.linux.PollFd;
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
        } catch (Errno e) {
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
            PollFd pollFd = new PollFd(arena, notifyFd, Libc.POLLIN);
            MemorySegment notification = arena.allocate(Seccomp.NOTIF);
            MemorySegment response = arena.allocate(Seccomp.RESPONSE);
            MemorySegment id = arena.allocate(ValueLayout.JAVA_LONG);
            // process_vm_writev's iovecs: the utsname here, the caller's buffer there (set per call).
            MemorySegment localIovec = utsName == null ? null : Libc.iovec(arena, arena.allocateFrom(ValueLayout.JAVA_BYTE, utsName));
            MemorySegment remoteIovec = arena.allocate(Libc.IOVEC);
            while (!stopping) {
                short revents = pollFd.poll(POLL_MILLIS);
                if (revents == 0) {
                    continue;
                }
                if ((revents & Libc.POLLIN) == 0 && (revents & (Libc.POLLHUP | Libc.POLLERR | Libc.POLLNVAL)) != 0) {
                    // No task uses the filter any more: NOTIF_RECV would fail with ENOENT forever.
                    containerGone = true;
                    break;
                }
                waitForBudget();
                notification.fill((byte) 0);
                try {
                    Libc.ioctl(notifyFd, Seccomp.IOCTL_NOTIF_RECV, notification);
                } catch (Errno e) {
                    // ENOENT: the caller was killed or interrupted between poll and receive.
                    if (e.errno() == Errno.ENOENT || e.errno() == Errno.EINTR) {
                        continue;
                    }
                    throw e;
                }
                metrics.notificationReceived();
                answer(notification, response, id, localIovec, remoteIovec);
            }
        } catch (Errno | RuntimeException e) {
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

    /** How a notification is answered: the call returns 0 or fails with an errno; or, the caller gone, not at all. */
    enum Answer {
        EMULATED(0), DENIED(-Errno.EPERM), FAULT(-Errno.EFAULT), CALLER_GONE(0);

        /** seccomp_notif_resp.error: 0 or a negative errno. */
        final int error;

        Answer(int error) {
            this.error = error;
        }
    }

    private void answer(MemorySegment notification, MemorySegment response, MemorySegment id, MemorySegment localIovec,
                        MemorySegment remoteIovec) throws Errno {
        long notificationId = Seccomp.id(notification);
        int pid = Seccomp.pid(notification);
        int nr = Seccomp.nr(notification);
        int arch = Seccomp.arch(notification);
        id.set(ValueLayout.JAVA_LONG, 0, notificationId);
        Answer answer;
        if (arch == Syscalls.AUDIT_ARCH_X86_64 && nr == Syscalls.UNAME && localIovec != null) {
            answer = emulateUname(Seccomp.arg(notification, 0), id, localIovec, remoteIovec, pid);
        } else {
            answer = Answer.DENIED;
            violations.record(new Violation(container, pid,
                    arch == Syscalls.AUDIT_ARCH_X86_64 ? Syscalls.name(nr) : "arch_" + Integer.toHexString(arch) + "_" + nr),
                    System.nanoTime());
        }
        if (answer == Answer.CALLER_GONE) {
            return;
        }
        Seccomp.respond(response, notificationId, answer.error);
        try {
            Libc.ioctl(notifyFd, Seccomp.IOCTL_NOTIF_SEND, response);
        } catch (Errno e) {
            // ENOENT: the caller died or was interrupted while we answered; nothing waits for this answer.
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
            metrics.failedAnswer();
        }
    }

    /**
     * Writes the utsname into the caller's {@code buffer} with process_vm_writev, which honours page
     * protections as the kernel's own uname does: a read-only or unmapped buffer gets EFAULT.
     */
    private Answer emulateUname(long buffer, MemorySegment id, MemorySegment localIovec, MemorySegment remoteIovec, int pid)
            throws Errno {
        Libc.pointIovec(remoteIovec, buffer, UtsName.BYTES);
        // process_vm_writev finds the task by pid when called, so the check comes right before it: while
        // the notification is valid the caller waits in uname, alive, and its pid is nobody else's. The
        // pid could only name another process if, between these two calls, the caller were killed,
        // reaped and its pid handed out again (the host's pid counter coming round to it).
        try {
            Libc.ioctl(notifyFd, Seccomp.IOCTL_NOTIF_ID_VALID, id);
        } catch (Errno e) {
            metrics.failedAnswer();
            return Answer.CALLER_GONE;
        }
        long written;
        try {
            written = Libc.processVmWritev(pid, localIovec, remoteIovec);
        } catch (Errno e) {
            if (e.errno() == Errno.ESRCH) {
                metrics.failedAnswer();
                return Answer.CALLER_GONE;
            }
            if (e.errno() == Errno.EFAULT) {
                return Answer.FAULT;
            }
            metrics.failedAnswer();
            return Answer.DENIED;
        }
        if (written != UtsName.BYTES) {
            // The buffer runs into a page the caller cannot write: the kernel's uname fails the same way.
            return Answer.FAULT;
        }
        metrics.emulatedUname();
        return Answer.EMULATED;
    }
}
