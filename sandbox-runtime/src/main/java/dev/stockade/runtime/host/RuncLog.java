package dev.stockade.runtime.host;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;

/**
 * Errors in runc's formats: a line in the {@code --log} file (JSON or logrus text, as
 * {@code --log-format} says), which the containerd shim reads and passes up to the kubelet, and
 * the plain message on stderr, as runc prints it.
 */
public final class RuncLog {

    private final Optional<Path> logFile;
    private final String format;
    private final PrintStream stderr;

    public RuncLog(Optional<Path> logFile, String format, PrintStream stderr) {
        this.logFile = logFile;
        this.format = format;
        this.stderr = stderr;
    }

    public void error(String message) {
        stderr.println(message);
        stderr.flush();
        if (logFile.isEmpty()) {
            return;
        }
        try {
            Files.writeString(logFile.get(), line(message, Instant.now()), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            stderr.println("stockade-runtime: cannot write the runc log " + logFile.get() + ": " + e.getMessage());
        }
    }

    String line(String message, Instant time) {
        if (format.equals("json")) {
            return "{\"level\":\"error\",\"msg\":" + jsonString(message) + ",\"time\":\"" + time + "\"}\n";
        }
        return "time=\"" + time + "\" level=error msg=" + jsonString(message) + "\n";
    }

    static String jsonString(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
