package dev.stockade.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks for what a node-level test needs on the host (root, runc, containerd…). In CI
 * ({@code CI=true}) a missing prerequisite fails the test, so a broken CI image can never pass by
 * skipping; on a developer's machine the test is skipped with the reason.
 */
public final class HostPrerequisites {

    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Fails (CI) or skips (laptop) the calling test unless {@code present}. */
    public static void require(boolean present, String what) {
        if (present) {
            return;
        }
        String message = "missing prerequisite: " + what + " (test/install-host-packages installs the host packages)";
        if (inCi()) {
            throw new AssertionError(message);
        }
        Assumptions.abort(message);
    }

    public static void requireRoot() {
        require("root".equals(System.getProperty("user.name")), "root (these tests run real containers)");
    }

    /** Requires an executable and returns its path, looking on PATH when the name is bare. */
    public static Path requireExecutable(String name) {
        Path found = findExecutable(name);
        require(found != null, "executable " + name);
        return found;
    }

    public static Path findExecutable(String name) {
        if (name.contains("/")) {
            Path path = Path.of(name);
            return Files.isExecutable(path) ? path : null;
        }
        String pathVariable = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : pathVariable.split(":")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        for (String dir : new String[] {"/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private HostPrerequisites() {
    }
}
