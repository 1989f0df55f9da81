package dev.stockade.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Upstream tools that {@code test/cluster/build-tools} builds from their Go modules, found where
 * it caches them: {@code ${STOCKADE_TOOLS_CACHE:-~/.cache/stockade/tools}/<tool>-<version>/bin},
 * the version pinned in {@code test/cluster/versions.env} (the names of {@code test/cluster/env.sh}).
 * A tool that is not built fails the test in CI and skips it elsewhere ({@link HostPrerequisites}).
 */
public final class BuiltTools {

    /** crictl ({@code build-tools crictl}): the executable. */
    public static Path crictl() {
        return bin("crictl", "CRI_TOOLS_VERSION").resolve("crictl");
    }

    /** containerd 2.x ({@code build-tools containerd2}): the directory with containerd, ctr and containerd-shim-runc-v2 (env.sh's CONTAINERD2_BIN). */
    public static Path containerd2() {
        Path bin = bin("containerd2", "CONTAINERD2_VERSION");
        for (String program : new String[] {"containerd", "ctr", "containerd-shim-runc-v2"}) {
            HostPrerequisites.require(Files.isExecutable(bin.resolve(program)), program + " built by test/cluster/build-tools containerd2 in " + bin);
        }
        return bin;
    }

    /** gVisor's runsc ({@code build-tools gvisor}, its shim beside it): the executable (env.sh's GVISOR_BIN). */
    public static Path runsc() {
        Path runsc = cached("gvisor", "gvisor-" + version("GVISOR_VERSION") + "-p" + version("GVISOR_PATCH_LEVEL")).resolve("runsc");
        HostPrerequisites.require(Files.isExecutable(runsc), "runsc built by test/cluster/build-tools gvisor at " + runsc);
        return runsc;
    }

    /** The pinned version of {@code variable} in versions.env, e.g. {@code v2.2.9}. */
    public static String version(String variable) {
        Path versions = versionsFile();
        try {
            return Files.readAllLines(versions).stream().filter(line -> line.startsWith(variable + "="))
                    .map(line -> line.substring(variable.length() + 1).strip()).findFirst()
                    .orElseThrow(() -> new IllegalStateException(versions + " pins no " + variable));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + versions, e);
        }
    }

    /** test/cluster/versions.env of the repository the test runs in: the module's directory or the first parent that has it. */
    private static Path versionsFile() {
        String root = System.getProperty("maven.multiModuleProjectDirectory");
        for (Path directory = Path.of(root != null ? root : "").toAbsolutePath(); directory != null; directory = directory.getParent()) {
            Path candidate = directory.resolve("test/cluster/versions.env");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no test/cluster/versions.env in " + Path.of("").toAbsolutePath() + " or a parent directory");
    }

    private static Path bin(String tool, String versionVariable) {
        return cached(tool, tool + "-" + version(versionVariable));
    }

    /** {@code <cache>/<directory>/bin}: where build-tools put {@code tool} at its pinned version. */
    private static Path cached(String tool, String directory) {
        String cache = System.getenv("STOCKADE_TOOLS_CACHE");
        Path bin = (cache == null || cache.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "stockade", "tools") : Path.of(cache))
                .resolve(directory).resolve("bin");
        HostPrerequisites.require(Files.isDirectory(bin), directory + " built by test/cluster/build-tools " + tool + " in " + bin);
        return bin;
    }

    private BuiltTools() {
    }
}
