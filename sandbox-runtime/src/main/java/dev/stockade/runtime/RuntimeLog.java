package dev.stockade.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The runtime's own log: a file named by STOCKADE_RUNTIME_LOG, or nothing. Never stdout or stderr,
 * which belong to the container.
 */
final class RuntimeLog {

    private final Path file;

    RuntimeLog(String location) {
        this.file = location == null || location.isBlank() ? null : Path.of(location);
    }

    void write(String message) {
        if (file == null) {
            return;
        }
        try {
            Files.writeString(file, Instant.now() + " " + message + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            // Losing a log line must not fail a container; the runc log still carries refusals.
        }
    }
}
