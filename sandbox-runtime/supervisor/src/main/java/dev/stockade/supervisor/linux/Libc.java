package dev.stockade.supervisor.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The few libc calls the supervisor makes, through the Foreign Function &amp; Memory API. Every
 * call captures errno; a failure becomes an {@link Errno} exception naming the call.
 */
public final class Libc {

    public static final int EINTR = 4;
    public static final int ENOENT = 2;
    public static final int EPERM = 1;
    public static final int ESRCH = 3;
    public static final int EFAULT = 14;
    public static final int EAGAIN = 11;

    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;

    /** struct sockaddr_un: sa_family_t then 108 bytes of path. */
    public static final int SOCKADDR_UN_BYTES = 110;
    /** struct msghdr on 64-bit Linux. */
    static final int MSGHDR_BYTES = 56;
    /** struct cmsghdr header on 64-bit Linux (len, level, type); data follows. */
    static final int CMSGHDR_BYTES = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO_CAPTURE = Linker.Option.captureCallState("errno");
    private static final MemoryLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = handle("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = handle("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = handle("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = handle("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDMSG = handle("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle IOCTL = handle("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle PROCESS_VM_WRITEV = handle("process_vm_writev",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SHUTDOWN = handle("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    /** A failed libc call: the call's name and errno. */
    public static final class Errno extends Exception {
        private final int errno;

        Errno(String call, int errno) {
            super(call + " failed with errno " + errno);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    /** Per-thread scratch memory for captured errno, so the hot path allocates nothing. */
    private static final ThreadLocal<MemorySegment> CAPTURE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    private static int checked(String call, int result, MemorySegment capture) throws Errno {
        if (result < 0) {
            throw new Errno(call, errno(capture));
        }
        return result;
    }

    private static long checked(String call, long result, MemorySegment capture) throws Errno {
        if (result < 0) {
            throw new Errno(call, errno(capture));
        }
        return result;
    }

    public static int socket(int type) throws Errno {
        MemorySegment capture = CAPTURE.get();
        try {
            return checked("socket", (int) SOCKET.invokeExact(capture, AF_UNIX, type | SOCK_CLOEXEC, 0), capture);
        } catch (Errno e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fills a sockaddr_un for {@code path}; refuses paths that do not fit. */
    public static MemorySegment unixAddress(Arena arena, String path) {
        byte[] bytes = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length >= SOCKADDR_UN_BYTES - 2) {
            throw new IllegalArgumentException("unix socket path " + path + " is longer than 107 bytes; choose a shorter path");
        }
        MemorySegment address = arena.allocate(SOCKADDR_UN_BYTES);
        address.set(JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(bytes, 0, address, ValueLayout.JAVA_BYTE, 2, bytes.length);
        return address;
    }

    public static void bind(int fd, String path) throws Errno {
        MemorySegment capture = CAPTURE.get();
        try (Arena arena = Arena.ofConfined()) {
            checked("bind " + path, (int) BIND.invokeExact(capture, fd, unixAddress(arena, path), SOCKADDR_UN_BYTES), capture);
        } catch (Errno e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    public static void connect(int fd, String path) throws Errno {
        MemorySegment capture = CAPTURE.get();
        try (Arena arena = Arena.ofConfined()) {
            checked("connect " + path, (int) CONNECT.invokeExact(capture, fd, unixAddress(arena, path), SOCKADDR_UN_BYTES), capture);
        } catch (Errno e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    public static void listen(int fd, int backlog) throws Errno {
        MemorySegment capture = CAPTURE.get();
        try {
            checked("listen", (int) LISTEN.invokeExact(capture, fd, backlog), capture);
        } catch (Errno e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    public static int accept(int fd) throws Errno {
        MemorySegment capture = CAPTURE.get();
        try {
            return checked("accept4", (int) ACCEPT4.invokeExact(capture, fd, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC), capture);
        } catch (Errno e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** ioctl with a pointer argument; returns the result or throws with errno. */
    public static int ioctl(int fd, long request, MemorySegment argument) throws Errno {
        MemorySegment capture = CAPTURE.get();
        try {
            return checked("ioctl", (int) IOCTL.invokeExact(capture, fd, request, argument), capture);
        } catch (Errno e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** poll over {@code pollfds} (struct pollfd array); returns the number ready, 0 on timeout. */
    public static int poll(MemorySegment pollfds, int count, int timeoutMillis) throws Errno {
        MemorySegment capture = CAPTURE.get();
        try {
            return checked("poll", (int) POLL.invokeExact(capture, pollfds, (long) count, timeoutMillis), capture);
        } catch (Errno e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * process_vm_writev with one local and one remote iovec: writes into {@code pid}'s memory as the
     * process itself could, honouring page protections (unlike /proc/PID/mem). Returns the bytes written.
     */
    public static long processVmWritev(int pid, MemorySegment localIov, MemorySegment remoteIov) throws Errno {
        MemorySegment capture = CAPTURE.get();
        try {
            return checked("process_vm_writev", (long) PROCESS_VM_WRITEV.invokeExact(capture, pid, localIov, 1L, remoteIov, 1L, 0L),
                    capture);
        } catch (Errno e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    public static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            int unused = (int) CLOSE.invokeExact(CAPTURE.get(), fd);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** shutdown(SHUT_RDWR): wakes a thread blocked in accept on this socket. */
    public static void shutdown(int fd) {
        try {
            int unused = (int) SHUTDOWN.invokeExact(CAPTURE.get(), fd, 2);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** A message received from a unix socket: its bytes and any descriptors passed with SCM_RIGHTS. */
    public record Message(byte[] data, int[] fds) {
        public boolean endOfStream() {
            return data.length == 0 && fds.length == 0;
        }
    }

    /** One recvmsg of up to {@code capacity} bytes and up to {@code maxFds} descriptors (close-on-exec). */
    public static Message receive(int fd, int capacity, int maxFds) throws Errno {
        MemorySegment capture = CAPTURE.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(capacity);
            MemorySegment iov = arena.allocate(16);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, capacity);
            long controlBytes = CMSGHDR_BYTES + 4L * maxFds + 8;
            MemorySegment control = arena.allocate(controlBytes, 8);
            MemorySegment header = arena.allocate(MSGHDR_BYTES, 8);
            header.set(ADDRESS, 16, iov);
            header.set(JAVA_LONG, 24, 1);
            header.set(ADDRESS, 32, control);
            header.set(JAVA_LONG, 40, controlBytes);
            long received;
            do {
                received = (long) RECVMSG.invokeExact(capture, fd, header, MSG_CMSG_CLOEXEC);
            } while (received < 0 && errno(capture) == EINTR);
            checked("recvmsg", received, capture);
            long usedControl = header.get(JAVA_LONG, 40);
            java.util.List<Integer> fds = new java.util.ArrayList<>();
            long offset = 0;
            while (offset + CMSGHDR_BYTES <= usedControl) {
                long length = control.get(JAVA_LONG, offset);
                int level = control.get(JAVA_INT, offset + 8);
                int type = control.get(JAVA_INT, offset + 12);
                if (length < CMSGHDR_BYTES) {
                    break;
                }
                if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                    for (long at = offset + CMSGHDR_BYTES; at + 4 <= offset + length; at += 4) {
                        fds.add(control.get(JAVA_INT, at));
                    }
                }
                offset += (length + 7) & ~7L;
            }
            return new Message(data.asSlice(0, received).toArray(ValueLayout.JAVA_BYTE),
                    fds.stream().mapToInt(Integer::intValue).toArray());
        } catch (Errno e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** One sendmsg of {@code data} with {@code fds} attached (SCM_RIGHTS). */
    public static void send(int fd, byte[] data, int... fds) throws Errno {
        MemorySegment capture = CAPTURE.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, bytes, ValueLayout.JAVA_BYTE, 0, data.length);
            MemorySegment iov = arena.allocate(16);
            iov.set(ADDRESS, 0, bytes);
            iov.set(JAVA_LONG, 8, data.length);
            MemorySegment header = arena.allocate(MSGHDR_BYTES, 8);
            header.set(ADDRESS, 16, iov);
            header.set(JAVA_LONG, 24, 1);
            if (fds.length > 0) {
                long controlBytes = (CMSGHDR_BYTES + 4L * fds.length + 7) & ~7L;
                MemorySegment control = arena.allocate(controlBytes, 8);
                control.set(JAVA_LONG, 0, CMSGHDR_BYTES + 4L * fds.length);
                control.set(JAVA_INT, 8, SOL_SOCKET);
                control.set(JAVA_INT, 12, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) {
                    control.set(JAVA_INT, CMSGHDR_BYTES + 4L * i, fds[i]);
                }
                header.set(ADDRESS, 32, control);
                header.set(JAVA_LONG, 40, controlBytes);
            }
            long sent;
            do {
                sent = (long) SENDMSG.invokeExact(capture, fd, header, 0x4000 /* MSG_NOSIGNAL */);
            } while (sent < 0 && errno(capture) == EINTR);
            checked("sendmsg", sent, capture);
            if (sent != data.length) {
                throw new Errno("sendmsg (short write " + sent + " of " + data.length + ")", EAGAIN);
            }
        } catch (Errno e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = ERRNO_CAPTURE;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name)),
                descriptor, options);
    }

    private Libc() {
    }
}
