package dev.stockade.supervisor.linux;

import java.lang.foreign.Arena;

/** Waits for one descriptor with a bounded poll, so loops can notice that they must stop. */
public final class SocketLoop {

    /** Whether {@code fd} became readable (or hung up) within {@code timeoutMillis}. */
    public static boolean readable(int fd, int timeoutMillis) throws Errno {
        try (Arena arena = Arena.ofConfined()) {
            return new PollFd(arena, fd, Libc.POLLIN).poll(timeoutMillis) != 0;
        }
    }

    private SocketLoop() {
    }
}
