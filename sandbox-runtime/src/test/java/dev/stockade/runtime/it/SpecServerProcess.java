package dev.stockade.runtime.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The payload's bin/stockade-spec-server, started for a test and stopped with TERM at the end. */
final class SpecServerProcess implements AutoCloseable {

    final Path directory;
    final Path log;
    final Process process;

    private SpecServerProcess(Path directory, Path log, Process process) {
        this.directory = directory;
        this.log = log;
        this.process = process;
    }

    static SpecServerProcess start(Path payload, Path directory) throws IOException, InterruptedException {
        Path log = directory.resolveSibling(directory.getFileName() + ".log");
        Process process = new ProcessBuilder(List.of(payload.resolve("bin/stockade-spec-server").toString(), "--dir", directory.toString(),
                        "--metrics-socket", metricsSocket(directory).toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        SpecServerProcess server = new SpecServerProcess(directory, log, process);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!server.serving()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("the spec server did not start: " + Files.readString(log));
            }
            Thread.sleep(20);
        }
        return server;
    }

    /** Beside the directory, never the host's /run/stockade: tests must not touch a node's real sockets. */
    static Path metricsSocket(Path directory) {
        return directory.resolveSibling(directory.getFileName() + "-metrics").resolve("spec-server.sock");
    }

    /** Its FIFO is in place and its pid file names it: what the launcher checks. */
    boolean serving() throws IOException {
        Path pid = directory.resolve("pid");
        return Files.exists(directory.resolve("requests")) && Files.exists(pid)
                && Files.readString(pid).strip().equals(Long.toString(process.pid()));
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
