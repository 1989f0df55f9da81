package dev.stockade.supervisor.it;

import dev.stockade.api.node.NodeMetrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real supervisor daemon in its own JVM, as the installer starts it, with its log in a file. */
final class SupervisorProcess implements AutoCloseable {

    final Path socket;
    final Path log;
    final int metricsPort;
    private final Process process;

    private SupervisorProcess(Path socket, Path log, int metricsPort, Process process) {
        this.socket = socket;
        this.log = log;
        this.metricsPort = metricsPort;
        this.process = process;
    }

    /** Starts a supervisor on {@code socket} (taking over from one already there) and waits until it answers. */
    static SupervisorProcess start(Path socket, Path log, int metricsPort, String... extraArguments) {
        String classpath = System.getProperty("supervisor.classpath");
        if (classpath == null) {
            throw new AssertionError("system property supervisor.classpath is not set (failsafe sets it from the pom)");
        }
        try {
            List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                    "dev.stockade.supervisor.SupervisorMain", "run", "--socket", socket.toString(),
                    "--metrics-socket", metricsSocket(socket).toString(), "--metrics", "127.0.0.1:" + metricsPort));
            command.addAll(List.of(extraArguments));
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            SupervisorProcess supervisor = new SupervisorProcess(socket, log, metricsPort, process);
            supervisor.awaitLog("listening on " + socket, 1, Duration.ofSeconds(30));
            return supervisor;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort() {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the log holds {@code count} lines containing {@code text}. */
    void awaitLog(String text, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (logLines().stream().filter(line -> line.contains(text)).count() >= count) {
                return;
            }
            if (!process.isAlive() && logLines().stream().noneMatch(line -> line.contains(text))) {
                throw new AssertionError("the supervisor exited with " + process.exitValue() + ":\n" + String.join("\n", logLines()));
            }
            sleep(50);
        }
        throw new AssertionError("no log line with '" + text + "' within " + timeout + ":\n" + String.join("\n", logLines()));
    }

    List<String> logLines() {
        try {
            return Files.readAllLines(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Beside the listener socket, as the node's layout has it under /run/stockade. */
    static Path metricsSocket(Path socket) {
        return socket.resolveSibling("metrics").resolve("supervisor.sock");
    }

    /** What the installer reads: the series on the metrics socket. */
    String metrics() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            var text = NodeMetrics.read(metricsSocket(socket), Duration.ofSeconds(5));
            if (text.isPresent()) {
                return text.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("nothing answers on " + metricsSocket(socket) + ":\n" + String.join("\n", logLines()));
            }
            sleep(100);
        }
    }

    /** The optional unauthenticated TCP endpoint. */
    String httpMetrics() {
        try (HttpClient client = HttpClient.newHttpClient()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try {
                    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw new UncheckedIOException("no metrics endpoint on port " + metricsPort, e);
                    }
                    sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the process to exit on its own (after a handover) and returns its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the supervisor did not exit within " + timeout);
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
