package dev.stockade.supervisor.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** One struct pollfd, allocated once and polled as often as needed. */
public final class PollFd {

    private final MemorySegment pollFd;

    public PollFd(Arena arena, int fd, short events) {
        pollFd = arena.allocate(Libc.POLLFD);
        Libc.POLLFD_FD.set(pollFd, 0L, fd);
        Libc.POLLFD_EVENTS.set(pollFd, 0L, events);
    }

    /** Waits up to {@code timeoutMillis}; returns the events that occurred, 0 on timeout or a signal (EINTR). */
    public short poll(int timeoutMillis) throws Errno {
        Libc.POLLFD_REVENTS.set(pollFd, 0L, (short) 0);
        try {
            return Libc.poll(pollFd, 1, timeoutMillis) == 0 ? 0 : (short) Libc.POLLFD_REVENTS.get(pollFd, 0L);
        } catch (Errno e) {
            if (e.errno() == Errno.EINTR) {
                return 0;
            }
            throw e;
        }
    }
}
