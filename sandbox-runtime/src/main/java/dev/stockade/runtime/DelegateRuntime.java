package dev.stockade.runtime;

import dev.stockade.runtime.host.RuncLog;
import dev.stockade.runtime.spec.Refusal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the real runtime (runc by default). The containerd shim may run us with a minimal PATH, so
 * the usual system directories are searched too.
 */
final class DelegateRuntime {

    static final List<String> SYSTEM_DIRECTORIES = List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    static Path resolve(String configured, String pathVariable) throws Refusal {
        String name = configured == null || configured.isBlank() ? "runc" : configured;
        if (name.contains("/")) {
            Path path = Path.of(name);
            if (Files.isExecutable(path) && !Files.isDirectory(path)) {
                return path;
            }
            throw new Refusal(SandboxRuntime.DELEGATE_VARIABLE, "delegate",
                    "delegate runtime " + name + " is not an executable file; install it or point " + SandboxRuntime.DELEGATE_VARIABLE + " at runc or crun");
        }
        List<String> directories = new ArrayList<>();
        if (pathVariable != null) {
            directories.addAll(List.of(pathVariable.split(":")));
        }
        directories.addAll(SYSTEM_DIRECTORIES);
        for (String directory : directories) {
            if (directory.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(directory, name);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new Refusal(SandboxRuntime.DELEGATE_VARIABLE, "delegate",
                "delegate runtime " + name + " was not found on PATH nor in " + SYSTEM_DIRECTORIES
                        + "; install it or set " + SandboxRuntime.DELEGATE_VARIABLE + " to its absolute path");
    }

    /**
     * Runs {@code command} (the delegate and its arguments) with {@code input} on its standard input
     * (this JVM's own when null) and its output and errors where given; returns its exit status. A delegate
     * that cannot be started, or a wait that is interrupted, reports 1 through {@code log}.
     */
    static int run(List<String> command, byte[] input, ProcessBuilder.Redirect output, ProcessBuilder.Redirect error, RuncLog log) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(output).redirectError(error);
            if (input == null) {
                builder.redirectInput(ProcessBuilder.Redirect.INHERIT);
            }
            Process process = builder.start();
            if (input != null) {
                try (OutputStream stdin = process.getOutputStream()) {
                    stdin.write(input);
                }
            }
            return process.waitFor();
        } catch (IOException e) {
            log.error("stockade: cannot run " + command.getFirst() + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.error("stockade: interrupted while " + command.getFirst() + " ran");
            return 1;
        }
    }

    private DelegateRuntime() {
    }
}
