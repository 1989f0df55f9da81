package dev.stockade.supervisor.notify;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyscallsTest {

    @Test
    void numbersAreTheX86_64Ones() {
        assertEquals("uname", Syscalls.name(Syscalls.UNAME));
        assertEquals("mount", Syscalls.name(165));
        assertEquals("keyctl", Syscalls.name(250));
        assertEquals("bpf", Syscalls.name(321));
        assertEquals("open_by_handle_at", Syscalls.name(304));
        assertEquals("syscall_0", Syscalls.name(0), "read is never routed here; it is named by number");
        assertEquals("syscall_-1", Syscalls.name(-1));
    }

    @Test
    void everyNameMapsToOneNumber() {
        assertEquals(Syscalls.table().size(), Syscalls.table().values().stream().distinct().count());
        assertTrue(Syscalls.known("userfaultfd"));
        assertFalse(Syscalls.known("write"));
    }
}
