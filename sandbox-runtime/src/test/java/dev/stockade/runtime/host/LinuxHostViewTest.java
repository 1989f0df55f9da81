package dev.stockade.runtime.host;

import dev.stockade.runtime.spec.HostView.Entry;
import dev.stockade.runtime.spec.HostView.Namespace;
import dev.stockade.runtime.spec.RuntimeState;
import dev.stockade.testing.HostPrerequisites;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinuxHostViewTest {

    private final LinuxHostView host = new LinuxHostView();

    @Test
    void anEntryIsWhatIsThereWithoutFollowingALastLink(@TempDir Path dir) throws Exception {
        Files.createDirectory(dir.resolve("directory"));
        Files.writeString(dir.resolve("file"), "");
        Files.createSymbolicLink(dir.resolve("link"), Path.of("/canary"));
        assertEquals(Entry.DIRECTORY, host.entry(dir.resolve("directory").toString()));
        assertEquals(Entry.REGULAR_FILE, host.entry(dir.resolve("file").toString()));
        assertEquals(Entry.link("/canary"), host.entry(dir.resolve("link").toString()));
        assertEquals(Entry.characterDevice(1, 3), host.entry("/dev/null"));
        assertEquals(Entry.characterDevice(5, 2), host.entry("/dev/ptmx"));
    }

    /** The init pid and start time as runc (state.json) or crun (status) records them, for a process that runs: this test's JVM. */
    private static Path stateOf(Path root, RuntimeState.Format format, long pid, long start) throws Exception {
        Path directory = Files.createDirectories(root.resolve(CONTAINER));
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
        return Files.writeString(directory.resolve(format.file), "{\"id\":\"" + CONTAINER + "\",\"" + format.pidField + "\":" + pid + ",\""
                + format.startField + "\":" + start + "}");
    }

    private static final String CONTAINER = "5d1e0c";

    /** Field 22 of /proc/self/stat. */
    private static long ownStartTime() throws Exception {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
    }

    @Test
    void aRunningContainersNamespaceIsItsInitsWhileThatProcessRuns(@TempDir Path dir) throws Exception {
        HostPrerequisites.requireRoot();
        long pid = ProcessHandle.current().pid();
        Optional<Namespace> ownNetwork = host.namespace("/proc/self/ns/net");
        assertTrue(ownNetwork.isPresent());
        assertNotEquals(ownNetwork, host.namespace("/proc/self/ns/ipc"), "each namespace type is its own file");
        for (RuntimeState.Format format : RuntimeState.Format.values()) {
            Path root = dir.resolve(format.name());
            RuntimeState state = new RuntimeState(format, root);
            Path file = stateOf(root, format, pid, ownStartTime());
            assertEquals(ownNetwork, host.containerNamespace(state, CONTAINER, "network"), format.name());
            assertEquals(host.namespace("/proc/self/ns/ipc"), host.containerNamespace(state, CONTAINER, "ipc"), format.name());
            assertEquals(Optional.empty(), host.containerNamespace(state, "absent", "network"));
            assertEquals(Optional.empty(), host.containerNamespace(state, CONTAINER, "time-travel"));
            // The pid with another start time is another process that got the pid after the container's init exited.
            stateOf(root, format, pid, ownStartTime() - 1);
            assertEquals(Optional.empty(), host.containerNamespace(state, CONTAINER, "network"), format.name());
            // A state file that others may write proves nothing.
            stateOf(root, format, pid, ownStartTime());
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
            assertEquals(Optional.empty(), host.containerNamespace(state, CONTAINER, "network"), format.name());
        }
        // A root named through a link, as Docker's /var/run/docker/runtime-runc/moby is (/var/run -> /run).
        Path real = dir.resolve("run");
        stateOf(real.resolve("runc"), RuntimeState.Format.RUNC, pid, ownStartTime());
        Files.createSymbolicLink(dir.resolve("var-run"), real);
        RuntimeState linked = new RuntimeState(RuntimeState.Format.RUNC, dir.resolve("var-run/runc"));
        assertEquals(ownNetwork, host.containerNamespace(linked, CONTAINER, "network"));
        // Not under a directory others may write and rename in (no sticky bit): it could be swapped.
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertEquals(Optional.empty(), host.containerNamespace(linked, CONTAINER, "network"));
    }

    /** A namespace path is followed to the /proc link or pinned file runc should open in its place (a link can be swapped, that file cannot). */
    @Test
    void aNamespacePathLeadsToTheProcLinkOrAFileOnlyRootMayChange(@TempDir Path dir) throws Exception {
        String own = "/proc/" + ProcessHandle.current().pid() + "/ns/net";
        assertEquals(Optional.of(own), host.namespaceFile("/proc/self/ns/net"));
        Files.createSymbolicLink(dir.resolve("first"), Path.of("/proc/self/ns/net"));
        Files.createSymbolicLink(dir.resolve("second"), Path.of("first"));
        assertEquals(Optional.of(own), host.namespaceFile(dir.resolve("second").toString()), "links are followed to the namespace");
        // A file in root's directory below sticky /tmp stands (a private containerd's netns files are there).
        Files.writeString(dir.resolve("file"), "");
        assertEquals(Optional.of(dir.resolve("file").toString()), host.namespaceFile(dir.resolve("file").toString()));
        // In a directory others may write, it could be replaced after the check.
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(open.resolve("file"), "");
        assertEquals(Optional.empty(), host.namespaceFile(open.resolve("file").toString()));
        Files.createSymbolicLink(dir.resolve("loop"), Path.of("loop"));
        assertEquals(Optional.empty(), host.namespaceFile(dir.resolve("loop").toString()));
        assertEquals(Optional.empty(), host.namespaceFile(dir.resolve("absent").toString()));
        assertEquals(Optional.empty(), host.namespaceFile("relative/net"));
        Process child = new ProcessBuilder("sleep", "30").start();
        try {
            assertEquals(Optional.of("/proc/" + child.pid() + "/ns/net"), host.namespaceFile("/proc/" + child.pid() + "/ns/net"));
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void nothingThereIsMissingEvenBelowAFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("file"), "");
        assertEquals(Entry.MISSING, host.entry(dir.resolve("absent").toString()));
        assertEquals(Entry.MISSING, host.entry(dir.resolve("file/below").toString()));
    }

    /** The spec server asks a delegate once while its file stays the same, and again after an upgrade replaced it. */
    @Test
    void aProgramsVersionIsAskedOnceUntilItsFileChanges(@TempDir Path dir) throws Exception {
        Path calls = dir.resolve("calls");
        Path runtime = dir.resolve("runc");
        writeScript(runtime, "echo run >> " + calls + "; echo 'runc version 1.1.5+ds1'; echo 'commit: 1.1.5+ds1-1+deb12u1'");
        assertEquals(Optional.of("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\n"), host.versionOutput(runtime.toString()));
        assertEquals(Optional.of("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\n"), host.versionOutput(runtime.toString()));
        assertEquals(1, Files.readAllLines(calls).size());

        Path upgraded = dir.resolve("runc.new");
        writeScript(upgraded, "echo run >> " + calls + "; echo 'runc version 1.3.3'");
        Files.move(upgraded, runtime, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertEquals(Optional.of("runc version 1.3.3\n"), host.versionOutput(runtime.toString()));
        assertEquals(2, Files.readAllLines(calls).size());
    }

    @Test
    void aProgramThatFailsHangsOrIsMissingHasNoVersion(@TempDir Path dir) throws Exception {
        Path failing = dir.resolve("failing");
        writeScript(failing, "echo 'runc version 1.3.3'; exit 1");
        assertEquals(Optional.empty(), host.versionOutput(failing.toString()));
        assertEquals(Optional.empty(), host.versionOutput(dir.resolve("missing").toString()));
        Path hanging = dir.resolve("hanging");
        writeScript(hanging, "echo 'runc version 1.3.3'; exec sleep 30");
        long start = System.nanoTime();
        assertEquals(Optional.empty(), host.versionOutput(hanging.toString()));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(LinuxHostView.VERSION_TIMEOUT_SECONDS + 3));
    }

    private static void writeScript(Path file, String body) throws Exception {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    }
}
