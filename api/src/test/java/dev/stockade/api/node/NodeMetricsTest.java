package dev.stockade.api.node;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeMetricsTest {

    @TempDir
    Path dir;

    @Test
    void aReaderGetsWhatTheServerRendersAtThatMoment() throws IOException {
        AtomicInteger scrapes = new AtomicInteger();
        Path socket = dir.resolve("metrics/supervisor.sock");
        try (NodeMetrics.Endpoint endpoint = NodeMetrics.serve(socket, () -> "x_total " + scrapes.incrementAndGet() + "\n")) {
            assertEquals(Optional.of("x_total 1\n"), NodeMetrics.read(socket, Duration.ofSeconds(5)));
            assertEquals(Optional.of("x_total 2\n"), NodeMetrics.read(socket, Duration.ofSeconds(5)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())),
                    "only root may read other tenants' pod names");
        }
        assertFalse(Files.exists(socket), "a stopped server leaves no socket behind");
        assertEquals(Optional.empty(), NodeMetrics.read(socket, Duration.ofSeconds(1)));
    }

    @Test
    void aSuccessorReplacesTheSocketAndItsPredecessorDoesNotRemoveIt() throws IOException {
        Path socket = dir.resolve("metrics/s.sock");
        NodeMetrics.Endpoint first = NodeMetrics.serve(socket, () -> "first\n");
        try (NodeMetrics.Endpoint second = NodeMetrics.serve(socket, () -> "second\n")) {
            assertEquals(Optional.of("second\n"), NodeMetrics.read(socket, Duration.ofSeconds(5)));
            first.close();
            assertEquals(Optional.of("second\n"), NodeMetrics.read(socket, Duration.ofSeconds(5)));
        }
    }

    @Test
    void aServerThatDoesNotAnswerCountsAsDownWithinTheTimeout() throws Exception {
        Path socket = dir.resolve("metrics/slow.sock");
        try (NodeMetrics.Endpoint endpoint = NodeMetrics.serve(socket, () -> {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "late\n";
        })) {
            long start = System.nanoTime();
            assertEquals(Optional.empty(), NodeMetrics.read(socket, Duration.ofMillis(300)));
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(3).toNanos());
        }
    }

    @Test
    void aDirectoryOthersCanEnterIsRefused() throws IOException {
        Path open = Files.createDirectory(dir.resolve("open"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        IOException refused = assertThrows(IOException.class, () -> NodeMetrics.serve(open.resolve("s.sock"), () -> ""));
        assertTrue(refused.getMessage().contains("mode 0700 (it is uid"), refused.getMessage());
    }
}
