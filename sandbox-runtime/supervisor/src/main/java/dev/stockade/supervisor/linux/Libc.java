package dev.stockade.supervisor.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The few libc calls the supervisor makes, through the Foreign Function &amp; Memory API, with the
 * structs they take declared as layouts (x86_64 Linux). Every call captures errno; a failure
 * becomes an {@link Errno} naming the call and the error.
 */
public final class Libc {

    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;

    /** struct sockaddr_un (sys/un.h). */
    static final StructLayout SOCKADDR_UN = structLayout(
            JAVA_SHORT.withName("sun_family"), sequenceLayout(108, JAVA_BYTE).withName("sun_path"));
    /** struct iovec (sys/uio.h). */
    public static final StructLayout IOVEC = structLayout(ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"));
    /** struct msghdr (sys/socket.h). */
    static final StructLayout MSGHDR = structLayout(
            ADDRESS.withName("msg_name"), JAVA_INT.withName("msg_namelen"), paddingLayout(4),
            ADDRESS.withName("msg_iov"), JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"), JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"), paddingLayout(4));
    /** struct cmsghdr (sys/socket.h); the data follows at {@link #cmsgLen cmsgLen(0)}. */
    static final StructLayout CMSGHDR = structLayout(
            JAVA_LONG.withName("cmsg_len"), JAVA_INT.withName("cmsg_level"), JAVA_INT.withName("cmsg_type"));
    /** struct pollfd (poll.h). */
    static final StructLayout POLLFD = structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));

    private static final long SUN_PATH = SOCKADDR_UN.byteOffset(groupElement("sun_path"));
    private static final long SUN_PATH_BYTES = SOCKADDR_UN.select(groupElement("sun_path")).byteSize();
    private static final VarHandle SUN_FAMILY = field(SOCKADDR_UN, "sun_family");
    private static final long IOV_BASE = IOVEC.byteOffset(groupElement("iov_base"));
    private static final VarHandle IOV_LEN = field(IOVEC, "iov_len");
    private static final VarHandle MSG_IOV = field(MSGHDR, "msg_iov");
    private static final VarHandle MSG_IOVLEN = field(MSGHDR, "msg_iovlen");
    private static final VarHandle MSG_CONTROL = field(MSGHDR, "msg_control");
    private static final VarHandle MSG_CONTROLLEN = field(MSGHDR, "msg_controllen");
    private static final VarHandle CMSG_LEN = field(CMSGHDR, "cmsg_len");
    private static final VarHandle CMSG_LEVEL = field(CMSGHDR, "cmsg_level");
    private static final VarHandle CMSG_TYPE = field(CMSGHDR, "cmsg_type");
    static final VarHandle POLLFD_FD = field(POLLFD, "fd");
    static final VarHandle POLLFD_EVENTS = field(POLLFD, "events");
    static final VarHandle POLLFD_REVENTS = field(POLLFD, "revents");
    private static final long FD_BYTES = JAVA_INT.byteSize();

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO_CAPTURE = Linker.Option.captureCallState("errno");
    private static final MemoryLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = field(CALL_STATE_LAYOUT, "errno");

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

    /** Per-thread memory for the captured errno, so that calls allocate nothing. */
    private static final ThreadLocal<MemorySegment> CALL_STATE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE_LAYOUT));

    /** One downcall, given the memory its errno is captured in; returns the call's result. */
    @FunctionalInterface
    private interface Downcall {
        long invoke(MemorySegment callState) throws Throwable;
    }

    /** Runs {@code downcall}; a negative result becomes an {@link Errno} naming {@code call}. */
    private static long call(String call, Downcall downcall) throws Errno {
        MemorySegment callState = CALL_STATE.get();
        long result;
        try {
            result = downcall.invoke(callState);
        } catch (Throwable e) {
            // Downcalls throw nothing of their own: this is a linkage error.
            throw new IllegalStateException(call + ": " + e, e);
        }
        if (result < 0) {
            throw new Errno(call, (int) ERRNO.get(callState, 0L));
        }
        return result;
    }

    /** {@link #call}, again while it is interrupted by a signal (EINTR). */
    private static long callRetryingOnEintr(String call, Downcall downcall) throws Errno {
        while (true) {
            try {
                return call(call, downcall);
            } catch (Errno e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }

    public static int socket(int type) throws Errno {
        return (int) call("socket", state -> (int) SOCKET.invokeExact(state, AF_UNIX, type | SOCK_CLOEXEC, 0));
    }

    /** Fills a sockaddr_un for {@code path}; refuses paths that do not fit. */
    public static MemorySegment unixAddress(Arena arena, String path) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= SUN_PATH_BYTES) {
            throw new IllegalArgumentException("unix socket path " + path + " is longer than " + (SUN_PATH_BYTES - 1)
                    + " bytes; choose a shorter path");
        }
        MemorySegment address = arena.allocate(SOCKADDR_UN);
        SUN_FAMILY.set(address, 0L, (short) AF_UNIX);
        MemorySegment.copy(bytes, 0, address, JAVA_BYTE, SUN_PATH, bytes.length);
        return address;
    }

    public static void bind(int fd, String path) throws Errno {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = unixAddress(arena, path);
            call("bind " + path, state -> (int) BIND.invokeExact(state, fd, address, (int) SOCKADDR_UN.byteSize()));
        }
    }

    public static void connect(int fd, String path) throws Errno {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = unixAddress(arena, path);
            call("connect " + path, state -> (int) CONNECT.invokeExact(state, fd, address, (int) SOCKADDR_UN.byteSize()));
        }
    }

    public static void listen(int fd, int backlog) throws Errno {
        call("listen", state -> (int) LISTEN.invokeExact(state, fd, backlog));
    }

    public static int accept(int fd) throws Errno {
        return (int) call("accept4",
                state -> (int) ACCEPT4.invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC));
    }

    /** ioctl with a pointer argument; returns the result. */
    public static int ioctl(int fd, long request, MemorySegment argument) throws Errno {
        return (int) call("ioctl", state -> (int) IOCTL.invokeExact(state, fd, request, argument));
    }

    /** poll over {@code count} struct pollfd; returns the number ready, 0 on timeout. */
    public static int poll(MemorySegment pollfds, int count, int timeoutMillis) throws Errno {
        return (int) call("poll", state -> (int) POLL.invokeExact(state, pollfds, (long) count, timeoutMillis));
    }

    /** A struct iovec over {@code buffer}. */
    public static MemorySegment iovec(Arena arena, MemorySegment buffer) {
        MemorySegment iovec = arena.allocate(IOVEC);
        iovec.set(ADDRESS, IOV_BASE, buffer);
        IOV_LEN.set(iovec, 0L, buffer.byteSize());
        return iovec;
    }

    /**
     * Points {@code iovec} at {@code length} bytes at {@code address} in another process, which this
     * process never dereferences (set as a number: no segment object for each call).
     */
    public static void pointIovec(MemorySegment iovec, long address, long length) {
        iovec.set(JAVA_LONG, IOV_BASE, address);
        IOV_LEN.set(iovec, 0L, length);
    }

    /**
     * process_vm_writev with one local and one remote iovec: writes into {@code pid}'s memory as the
     * process itself could, honouring page protections (unlike /proc/PID/mem). Returns the bytes written.
     */
    public static long processVmWritev(int pid, MemorySegment localIovec, MemorySegment remoteIovec) throws Errno {
        return call("process_vm_writev",
                state -> (long) PROCESS_VM_WRITEV.invokeExact(state, pid, localIovec, 1L, remoteIovec, 1L, 0L));
    }

    public static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            call("close", state -> (int) CLOSE.invokeExact(state, fd));
        } catch (Errno e) {
            // Linux releases the descriptor even when close reports an error: nothing to retry.
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(capacity);
            long controlBytes = cmsgSpace(FD_BYTES * maxFds);
            MemorySegment control = arena.allocate(controlBytes, CMSGHDR.byteAlignment());
            MemorySegment header = arena.allocate(MSGHDR);
            MSG_IOV.set(header, 0L, iovec(arena, data));
            MSG_IOVLEN.set(header, 0L, 1L);
            MSG_CONTROL.set(header, 0L, control);
            MSG_CONTROLLEN.set(header, 0L, controlBytes);
            long received = callRetryingOnEintr("recvmsg", state -> (long) RECVMSG.invokeExact(state, fd, header, MSG_CMSG_CLOEXEC));
            long usedControl = (long) MSG_CONTROLLEN.get(header, 0L);
            List<Integer> fds = new ArrayList<>();
            for (long offset = 0; offset + CMSGHDR.byteSize() <= usedControl; ) {
                long length = (long) CMSG_LEN.get(control, offset);
                if (length < CMSGHDR.byteSize()) {
                    break;
                }
                if ((int) CMSG_LEVEL.get(control, offset) == SOL_SOCKET && (int) CMSG_TYPE.get(control, offset) == SCM_RIGHTS) {
                    for (long at = offset + cmsgLen(0); at + FD_BYTES <= offset + length; at += FD_BYTES) {
                        fds.add(control.get(JAVA_INT, at));
                    }
                }
                offset += cmsgAlign(length);
            }
            return new Message(data.asSlice(0, received).toArray(JAVA_BYTE), fds.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    /** One sendmsg of {@code data} with {@code fds} attached (SCM_RIGHTS). */
    public static void send(int fd, byte[] data, int... fds) throws Errno {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, bytes, JAVA_BYTE, 0, data.length);
            MemorySegment header = arena.allocate(MSGHDR);
            MSG_IOV.set(header, 0L, iovec(arena, bytes.asSlice(0, data.length)));
            MSG_IOVLEN.set(header, 0L, 1L);
            if (fds.length > 0) {
                long controlBytes = cmsgSpace(FD_BYTES * fds.length);
                MemorySegment control = arena.allocate(controlBytes, CMSGHDR.byteAlignment());
                CMSG_LEN.set(control, 0L, cmsgLen(FD_BYTES * fds.length));
                CMSG_LEVEL.set(control, 0L, SOL_SOCKET);
                CMSG_TYPE.set(control, 0L, SCM_RIGHTS);
                MemorySegment.copy(fds, 0, control, JAVA_INT, cmsgLen(0), fds.length);
                MSG_CONTROL.set(header, 0L, control);
                MSG_CONTROLLEN.set(header, 0L, controlBytes);
            }
            long sent = callRetryingOnEintr("sendmsg", state -> (long) SENDMSG.invokeExact(state, fd, header, MSG_NOSIGNAL));
            if (sent != data.length) {
                throw new Errno("sendmsg (short write " + sent + " of " + data.length + ")", Errno.EAGAIN);
            }
        }
    }

    /** CMSG_ALIGN: control messages and their data are aligned to size_t. */
    static long cmsgAlign(long length) {
        long alignment = CMSGHDR.byteAlignment();
        return (length + alignment - 1) & -alignment;
    }

    /** CMSG_LEN: a control message's cmsg_len for {@code dataBytes} of data. */
    static long cmsgLen(long dataBytes) {
        return cmsgAlign(CMSGHDR.byteSize()) + dataBytes;
    }

    /** CMSG_SPACE: the room a control message with {@code dataBytes} of data takes in the buffer. */
    static long cmsgSpace(long dataBytes) {
        return cmsgAlign(CMSGHDR.byteSize()) + cmsgAlign(dataBytes);
    }

    /** A field's VarHandle; its coordinates are the segment and the struct's offset in it. */
    static VarHandle field(MemoryLayout struct, String name) {
        return struct.varHandle(groupElement(name));
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
