package dev.stockade.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs host commands for tests, with a deadline so that a hung container cannot hang the build. */
public final class Commands {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    public static CommandResult run(String... command) {
        return run(DEFAULT_TIMEOUT, Map.of(), List.of(command));
    }

    /**
     * Runs {@code command} with extra environment variables, stdin from /dev/null, and returns its
     * output; a command still running after {@code timeout} is killed and reported as an error.
     */
    public static CommandResult run(Duration timeout, Map<String, String> environment, List<String> command) {
        try {
            Path out = Files.createTempFile("stockade-cmd", ".out");
            Path err = Files.createTempFile("stockade-cmd", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command)
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile());
                builder.environment().putAll(environment);
                Process process = builder.start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor();
                    throw new AssertionError("timed out after " + timeout + ": " + String.join(" ", command)
                            + "\n--- stdout:\n" + Files.readString(out) + "--- stderr:\n" + Files.readString(err));
                }
                return new CommandResult(List.copyOf(command), process.exitValue(),
                        Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        }
    }

    private Commands() {
    }
}
