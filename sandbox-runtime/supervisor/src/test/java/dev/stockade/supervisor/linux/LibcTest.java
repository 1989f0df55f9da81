package dev.stockade.supervisor.linux;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LibcTest {

    @TempDir
    Path dir;

    /** sizeof and offsetof as gcc reports them for x86_64 glibc. */
    @Test
    void theStructLayoutsMatchTheCAbi() {
        assertEquals(110, Libc.SOCKADDR_UN.byteSize());
        assertEquals(16, Libc.IOVEC.byteSize());
        assertEquals(56, Libc.MSGHDR.byteSize());
        assertEquals(16, Libc.MSGHDR.byteOffset(groupElement("msg_iov")));
        assertEquals(32, Libc.MSGHDR.byteOffset(groupElement("msg_control")));
        assertEquals(40, Libc.MSGHDR.byteOffset(groupElement("msg_controllen")));
        assertEquals(16, Libc.CMSGHDR.byteSize());
        assertEquals(8, Libc.POLLFD.byteSize());
        assertEquals(6, Libc.POLLFD.byteOffset(groupElement("revents")));
        // CMSG_LEN(sizeof(int)) and CMSG_SPACE(sizeof(int)), CMSG_SPACE(4 * sizeof(int)).
        assertEquals(20, Libc.cmsgLen(4));
        assertEquals(24, Libc.cmsgSpace(4));
        assertEquals(32, Libc.cmsgSpace(16));
    }

    @Test
    void aFailedCallNamesTheCallAndTheErrnoByName() throws Exception {
        int socket = Libc.socket(Libc.SOCK_STREAM);
        try {
            Errno refused = assertThrows(Errno.class, () -> Libc.connect(socket, dir.resolve("nobody.sock").toString()));
            assertEquals(Errno.ENOENT, refused.errno());
            assertEquals("connect " + dir.resolve("nobody.sock") + " failed: ENOENT", refused.getMessage());
        } finally {
            Libc.close(socket);
        }
        assertEquals("EFAULT", Errno.name(14));
        assertEquals("errno 200", Errno.name(200));
    }

    @Test
    void bytesAndADescriptorCrossAUnixSocketTogether() throws Exception {
        String path = dir.resolve("s.sock").toString();
        int listening = Libc.socket(Libc.SOCK_STREAM);
        int client = Libc.socket(Libc.SOCK_STREAM);
        int passed = Libc.socket(Libc.SOCK_SEQPACKET);
        int accepted = -1;
        int[] received = {};
        try {
            Libc.bind(listening, path);
            Libc.listen(listening, 1);
            Libc.connect(client, path);
            accepted = Libc.accept(listening);
            Libc.send(client, "hello".getBytes(StandardCharsets.UTF_8), passed);
            assertTrue(SocketLoop.readable(accepted, 5000));
            Libc.Message message = Libc.receive(accepted, 64, 4);
            received = message.fds();
            assertEquals("hello", new String(message.data(), StandardCharsets.UTF_8));
            assertEquals(1, received.length);
            // A new descriptor of the same socket: /proc names both socket:[inode].
            assertEquals(Files.readSymbolicLink(Path.of("/proc/self/fd/" + passed)),
                    Files.readSymbolicLink(Path.of("/proc/self/fd/" + received[0])));
        } finally {
            for (int fd : received) {
                Libc.close(fd);
            }
            Libc.close(accepted);
            Libc.close(passed);
            Libc.close(client);
            Libc.close(listening);
        }
    }

    @Test
    void aUnixSocketPathThatDoesNotFitIsRefusedWithItsLimit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fits = Libc.unixAddress(arena, "/" + "a".repeat(106));
            assertEquals(Libc.AF_UNIX, fits.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 0));
            var tooLong = assertThrows(IllegalArgumentException.class, () -> Libc.unixAddress(arena, "/" + "a".repeat(107)));
            assertTrue(tooLong.getMessage().contains("longer than 107 bytes"), tooLong.getMessage());
        }
    }
}
