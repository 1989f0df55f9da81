package dev.stockade.supervisor.notify;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

class SeccompTest {

    /** The numbers linux/seccomp.h defines, which the kernel compares whole (size included). */
    @Test
    void theIoctlNumbersBuiltFromTheLayoutsAreTheKernels() {
        assertEquals(0xC0502100L, Seccomp.IOCTL_NOTIF_RECV);
        assertEquals(0xC0182101L, Seccomp.IOCTL_NOTIF_SEND);
        assertEquals(0x40082102L, Seccomp.IOCTL_NOTIF_ID_VALID);
        assertEquals(0x40082104L, Seccomp.IOCTL_NOTIF_SET_FLAGS);
    }

    @Test
    void theNotificationIsReadAtTheKernelsOffsets() {
        assertEquals(80, Seccomp.NOTIF.byteSize());
        assertEquals(32, Seccomp.NOTIF.byteOffset(groupElement("data"), groupElement("args")));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment notification = arena.allocate(Seccomp.NOTIF);
            notification.set(ValueLayout.JAVA_LONG, 0, 0x1122334455L);
            notification.set(ValueLayout.JAVA_INT, 8, 4242);
            notification.set(ValueLayout.JAVA_INT, 16, Syscalls.UNAME);
            notification.set(ValueLayout.JAVA_INT, 20, Syscalls.AUDIT_ARCH_X86_64);
            notification.set(ValueLayout.JAVA_LONG, 32, 0x7ffd0000L);
            notification.set(ValueLayout.JAVA_LONG, 40, 7);
            assertEquals(0x1122334455L, Seccomp.id(notification));
            assertEquals(4242, Seccomp.pid(notification));
            assertEquals(Syscalls.UNAME, Seccomp.nr(notification));
            assertEquals(Syscalls.AUDIT_ARCH_X86_64, Seccomp.arch(notification));
            assertEquals(0x7ffd0000L, Seccomp.arg(notification, 0));
            assertEquals(7, Seccomp.arg(notification, 1));

            MemorySegment response = arena.allocate(Seccomp.RESPONSE);
            response.fill((byte) 0x7f);
            Seccomp.respond(response, 0x1122334455L, -14);
            assertEquals(24, Seccomp.RESPONSE.byteSize());
            assertEquals(0x1122334455L, response.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0, response.get(ValueLayout.JAVA_LONG, 8), "val");
            assertEquals(-14, response.get(ValueLayout.JAVA_INT, 16));
            assertEquals(0, response.get(ValueLayout.JAVA_INT, 20), "flags: never SECCOMP_USER_NOTIF_FLAG_CONTINUE");
        }
    }
}
