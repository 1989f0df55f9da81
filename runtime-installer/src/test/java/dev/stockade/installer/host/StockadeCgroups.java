package dev.stockade.installer.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** For tests: the {@link HostProcesses#CGROUP} cgroups on this machine, in any hierarchy (v2 at depth 1, v1 at 2). */
public final class StockadeCgroups {

    public static List<Path> onThisMachine() throws IOException {
        try (Stream<Path> cgroups = Files.walk(Path.of("/sys/fs/cgroup"), 2)) {
            return cgroups.filter(path -> path.getFileName().toString().equals(HostProcesses.CGROUP) && Files.isDirectory(path)).toList();
        }
    }

    private StockadeCgroups() {
    }
}
