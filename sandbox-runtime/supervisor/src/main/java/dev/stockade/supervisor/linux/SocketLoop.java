package dev.stockade.supervisor.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Waits for one descriptor with a bounded poll, so loops can notice that they must stop. */
public final class SocketLoop {

    /** Whether {@code fd} became readable (or hung up) within {@code timeoutMillis}. */
    public static boolean readable(int fd, int timeoutMillis) throws Libc.Errno {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollFd = arena.allocate(8, 4);
            pollFd.set(ValueLayout.JAVA_INT, 0, fd);
            pollFd.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
            try {
                return Libc.poll(pollFd, 1, timeoutMillis) > 0;
            } catch (Libc.Errno e) {
                if (e.errno() == Libc.EINTR) {
                    return false;
                }
                throw e;
            }
        }
    }

    private SocketLoop() {
    }
}
