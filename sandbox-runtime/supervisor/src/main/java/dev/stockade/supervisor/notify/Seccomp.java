package dev.stockade.supervisor.notify;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.PathElement.sequenceElement;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** The seccomp user-notification ABI (linux/seccomp.h): its structs, and ioctl numbers built from them. */
public final class Seccomp {

    /** struct seccomp_data: the call as the filter saw it. */
    public static final StructLayout DATA = structLayout(
            JAVA_INT.withName("nr"), JAVA_INT.withName("arch"), JAVA_LONG.withName("instruction_pointer"),
            sequenceLayout(6, JAVA_LONG).withName("args"));
    /** struct seccomp_notif: what SECCOMP_IOCTL_NOTIF_RECV fills. */
    public static final StructLayout NOTIF = structLayout(
            JAVA_LONG.withName("id"), JAVA_INT.withName("pid"), JAVA_INT.withName("flags"), DATA.withName("data"));
    /** struct seccomp_notif_resp: what SECCOMP_IOCTL_NOTIF_SEND answers with. */
    public static final StructLayout RESPONSE = structLayout(
            JAVA_LONG.withName("id"), JAVA_LONG.withName("val"), JAVA_INT.withName("error"), JAVA_INT.withName("flags"));

    private static final VarHandle NOTIF_ID = NOTIF.varHandle(groupElement("id"));
    private static final VarHandle NOTIF_PID = NOTIF.varHandle(groupElement("pid"));
    private static final VarHandle NOTIF_NR = NOTIF.varHandle(groupElement("data"), groupElement("nr"));
    private static final VarHandle NOTIF_ARCH = NOTIF.varHandle(groupElement("data"), groupElement("arch"));
    private static final VarHandle NOTIF_ARG = NOTIF.varHandle(groupElement("data"), groupElement("args"), sequenceElement());
    private static final VarHandle RESPONSE_ID = RESPONSE.varHandle(groupElement("id"));
    private static final VarHandle RESPONSE_ERROR = RESPONSE.varHandle(groupElement("error"));

    /** The ioctl type of the seccomp notify fd (SECCOMP_IOC_MAGIC). */
    static final char IOC_MAGIC = '!';
    /** _IOC_WRITE (asm-generic/ioctl.h): the kernel reads the argument. */
    static final int IOC_WRITE = 1;
    /** _IOC_READ: the kernel writes the argument. */
    static final int IOC_READ = 2;

    public static final long IOCTL_NOTIF_RECV = ioctlNumber(IOC_READ | IOC_WRITE, 0, NOTIF);
    public static final long IOCTL_NOTIF_SEND = ioctlNumber(IOC_READ | IOC_WRITE, 1, RESPONSE);
    public static final long IOCTL_NOTIF_ID_VALID = ioctlNumber(IOC_WRITE, 2, JAVA_LONG);
    /** SECCOMP_IOCTL_NOTIF_SET_FLAGS (kernel 6.6+). */
    public static final long IOCTL_NOTIF_SET_FLAGS = ioctlNumber(IOC_WRITE, 4, JAVA_LONG);
    /** SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: the kernel wakes the answered task on this CPU. */
    public static final long FD_SYNC_WAKE_UP = 1;

    static {
        if (NOTIF.byteSize() != 80 || RESPONSE.byteSize() != 24) {
            throw new IllegalStateException("seccomp notification structs do not have the kernel's sizes (80 and 24 bytes)");
        }
    }

    /** _IOC(direction, SECCOMP_IOC_MAGIC, number, sizeof argument). */
    static long ioctlNumber(int direction, int number, MemoryLayout argument) {
        return (long) direction << 30 | argument.byteSize() << 16 | (long) IOC_MAGIC << 8 | number;
    }

    public static long id(MemorySegment notification) {
        return (long) NOTIF_ID.get(notification, 0L);
    }

    /** The calling thread, as this process's pid namespace numbers it. */
    public static int pid(MemorySegment notification) {
        return (int) NOTIF_PID.get(notification, 0L);
    }

    public static int nr(MemorySegment notification) {
        return (int) NOTIF_NR.get(notification, 0L);
    }

    /** The AUDIT_ARCH_* the call was made with. */
    public static int arch(MemorySegment notification) {
        return (int) NOTIF_ARCH.get(notification, 0L);
    }

    public static long arg(MemorySegment notification, int index) {
        return (long) NOTIF_ARG.get(notification, 0L, (long) index);
    }

    /** Fills {@code response}: notification {@code id} returns {@code error} (a negative errno), or 0 when it is 0. */
    public static void respond(MemorySegment response, long id, int error) {
        response.fill((byte) 0);
        RESPONSE_ID.set(response, 0L, id);
        RESPONSE_ERROR.set(response, 0L, error);
    }

    private Seccomp() {
    }
}
