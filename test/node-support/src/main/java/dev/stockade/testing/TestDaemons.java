package dev.stockade.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Starting and stopping the engine daemons that tests run ({@link PrivateContainerd}, {@link PrivateDockerd}). */
final class TestDaemons {

    /**
     * Starts {@code command} with stdin from /dev/null and its output appended to {@code log}, and
     * returns it once {@code ready} holds (see {@link #awaitReady}).
     */
    static Process start(String name, List<String> command, Path log, BooleanSupplier ready, Duration timeout) {
        try {
            Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectErrorStream(true).start();
            awaitReady(name, process, log, ready, timeout);
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + name, e);
        }
    }

    /**
     * Waits until {@code ready} holds, polling every 50 ms; fails with {@code log}'s content when the
     * daemon exits or {@code timeout} passes first.
     */
    static void awaitReady(String name, Process process, Path log, BooleanSupplier ready, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited " + process.exitValue() + " at start:\n" + read(log));
            }
            if (ready.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(name + " did not answer within " + timeout + ":\n" + read(log));
    }

    /** SIGTERM, then SIGKILL after {@code grace}; what it started (shims, containers) is left to the caller. */
    static void stop(Process process, Duration grace) {
        try {
            process.destroy();
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log at " + log + ": " + e.getMessage() + ")";
        }
    }

    private TestDaemons() {
    }
}
