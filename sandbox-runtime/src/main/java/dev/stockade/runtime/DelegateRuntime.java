package dev.stockade.runtime;

import dev.stockade.runtime.spec.Refusal;

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

    private DelegateRuntime() {
    }
}
