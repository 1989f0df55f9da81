package dev.stockade.supervisor.notify;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** The seccomp user-notification ABI (linux/seccomp.h), x86_64 ioctl numbers. */
public final class Seccomp {

    public static final long IOCTL_NOTIF_RECV = 0xC0502100L;
    public static final long IOCTL_NOTIF_SEND = 0xC0182101L;
    public static final long IOCTL_NOTIF_ID_VALID = 0x40082102L;
    /** SECCOMP_IOCTL_NOTIF_SET_FLAGS (kernel 6.6+). */
    public static final long IOCTL_NOTIF_SET_FLAGS = 0x40082104L;
    /** SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: the kernel wakes the answered task on this CPU. */
    public static final long FD_SYNC_WAKE_UP = 1;

    /** struct seccomp_notif: id, pid, flags, then seccomp_data (nr, arch, ip, args[6]). */
    public static final StructLayout NOTIF = MemoryLayout.structLayout(
            JAVA_LONG.withName("id"), JAVA_INT.withName("pid"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("nr"), JAVA_INT.withName("arch"), JAVA_LONG.withName("ip"),
            MemoryLayout.sequenceLayout(6, JAVA_LONG).withName("args"));
    public static final long NOTIF_ID = 0;
    public static final long NOTIF_PID = 8;
    public static final long NOTIF_NR = 16;
    public static final long NOTIF_ARCH = 20;
    public static final long NOTIF_ARGS = 32;

    /** struct seccomp_notif_resp: id, val, error, flags. */
    public static final StructLayout RESPONSE = MemoryLayout.structLayout(
            JAVA_LONG.withName("id"), JAVA_LONG.withName("val"), JAVA_INT.withName("error"), JAVA_INT.withName("flags"));
    public static final long RESPONSE_ID = 0;
    public static final long RESPONSE_VAL = 8;
    public static final long RESPONSE_ERROR = 16;

    static {
        if (NOTIF.byteSize() != 80 || RESPONSE.byteSize() != 24) {
            throw new IllegalStateException("seccomp notification structs have the wrong size");
        }
    }

    private Seccomp() {
    }
}
