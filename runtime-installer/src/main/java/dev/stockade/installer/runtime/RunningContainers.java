package dev.stockade.installer.runtime;

import dev.stockade.installer.host.HostRoot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds containers still running through Stockade's handlers, so that uninstall does not pull
 * the runtime from under them: containerd's shims keep each task's runtime options (with the
 * handler's launcher as BinaryName) in the task's bundle directory; CRI-O's conmon has the
 * runtime path on its command line.
 */
public final class RunningContainers {

    private RunningContainers() {
    }

    /** Descriptions ("namespace/id" or "pid N") of running containers using one of these launchers. */
    public static List<String> using(HostRoot host, List<String> taskStateDirectories, List<Handler> handlers) {
        List<String> found = new ArrayList<>();
        for (String directory : taskStateDirectories) {
            Path tasks = host.resolve(directory);
            for (Path bundle : children(tasks).stream().flatMap(ns -> children(ns).stream()).toList()) {
                if (mentionsLauncher(bundle.resolve("options.json"), handlers)) {
                    found.add(bundle.getParent().getFileName() + "/" + bundle.getFileName());
                }
            }
        }
        for (Path process : children(host.resolve("/proc"))) {
            if (process.getFileName().toString().matches("[0-9]+") && mentionsLauncher(process.resolve("cmdline"), handlers)) {
                found.add("pid " + process.getFileName());
            }
        }
        return found;
    }

    private static boolean mentionsLauncher(Path file, List<Handler> handlers) {
        try {
            if (!Files.isRegularFile(file)) {
                return false;
            }
            String content = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).replace('\0', ' ');
            return handlers.stream().anyMatch(h -> content.contains(h.launcher()));
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Path> children(Path directory) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
