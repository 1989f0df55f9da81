package dev.stockade.runtime.server;

import dev.stockade.runtime.host.LinuxHostView;
import dev.stockade.runtime.spec.HostView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecRequestTest {

    @TempDir
    Path directory;

    /**
     * A launcher in another mount namespace (an engine run by a snap or a test in one of its own)
     * names paths the server does not see: the benchmark's containerd found its runc state refused.
     */
    @Test
    void onlyALauncherInTheServersMountNamespaceSharesItsFiles() throws Exception {
        dev.stockade.testing.HostPrerequisites.requireRoot();
        Path proc = Path.of("/proc");
        Process same = new ProcessBuilder("sleep", "30").start();
        Process other = new ProcessBuilder("unshare", "--mount", "sh", "-c", "echo ready; exec sleep 30").start();
        try {
            // Once the shell speaks it runs in the new namespace.
            assertEquals("ready", new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream())).readLine());
            LinuxHostView host = new LinuxHostView();
            Optional<HostView.Namespace> ours = host.namespace("/proc/self/ns/mnt");
            assertTrue(SpecRequest.inMountNamespace(host, proc, Long.toString(same.pid()), ours));
            assertFalse(SpecRequest.inMountNamespace(host, proc, Long.toString(other.pid()), ours));
            assertFalse(SpecRequest.inMountNamespace(host, proc, "999999999", ours), "a launcher that is gone shares nothing");
            assertFalse(SpecRequest.inMountNamespace(host, proc, Long.toString(same.pid()), Optional.empty()),
                    "a server that cannot read its own namespace serves nobody");
        } finally {
            same.destroyForcibly();
            other.destroyForcibly();
        }
    }

    @Test
    void argumentsAndEnvironmentAsTheLauncherWritesThem() throws IOException {
        Files.writeString(directory.resolve("42.args"), "--log\0/run/x/log.json\0create\0--bundle\0with space\0\0id\0");
        Files.writeString(directory.resolve("42.env"), "PWD=/run/x\0STOCKADE_PROFILE=/etc/stockade/profiles/a=b.json\0STOCKADE_RUNTIME_LOG=\0");
        SpecRequest request = SpecRequest.read(directory, "42");
        assertEquals(List.of("--log", "/run/x/log.json", "create", "--bundle", "with space", "", "id"), request.arguments());
        assertEquals("/etc/stockade/profiles/a=b.json", request.environment().get("STOCKADE_PROFILE"));
        assertEquals("", request.environment().get("STOCKADE_RUNTIME_LOG"), "set but empty stays set");
        assertEquals(Path.of("/run/x"), request.workingDirectory());

        SpecRequest.removeInputs(directory, "42");
        assertFalse(Files.exists(directory.resolve("42.args")) || Files.exists(directory.resolve("42.env")));
    }

    @Test
    void anIncompleteOrForeignRequestIsNotServed() throws IOException {
        Files.writeString(directory.resolve("7.args"), "create\0--bundle\0/b");
        Files.writeString(directory.resolve("7.env"), "PWD=/\0");
        assertThrows(IOException.class, () -> SpecRequest.read(directory, "7"), "a file still being written");

        Files.writeString(directory.resolve("8.args"), "create\0");
        Files.writeString(directory.resolve("8.env"), "STOCKADE_PROFILE=/p.json\0");
        assertThrows(IOException.class, () -> SpecRequest.read(directory, "8"), "no working directory to resolve paths against");

        assertThrows(IOException.class, () -> SpecRequest.read(directory, "../etc/passwd"));
    }

    @Test
    void aLaunchersAgeComesFromItsStartTimeAndIsEmptyOnceItIsGone() throws Exception {
        Process child = new ProcessBuilder("sleep", "30").start();
        try {
            Duration age = SpecRequest.age(Path.of("/proc"), Long.toString(child.pid())).orElseThrow();
            assertTrue(age.compareTo(Duration.ofSeconds(5)) < 0, "started just now: " + age);
            Duration self = SpecRequest.age(Path.of("/proc"), Long.toString(ProcessHandle.current().pid())).orElseThrow();
            assertTrue(self.compareTo(age) >= 0, "this JVM started before its child: " + self + " < " + age);
        } finally {
            child.destroyForcibly().waitFor();
        }
        assertTrue(SpecRequest.age(Path.of("/proc"), Long.toString(child.pid())).isEmpty(), "a reaped process has no age");
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesDoesNotShiftTheStartTime() throws IOException {
        Path proc = directory.resolve("proc");
        Files.createDirectories(proc.resolve("42"));
        // proc(5): pid (comm) state, then fields 4 to 52; field 22 (start time) is 150 ticks (1.5 s) after boot.
        StringBuilder stat = new StringBuilder("42 (a) b) (c) S");
        for (int field = 4; field <= 52; field++) {
            stat.append(' ').append(field == 22 ? "150" : "0");
        }
        Files.writeString(proc.resolve("42/stat"), stat + "\n");
        Files.writeString(proc.resolve("uptime"), "11.50 20.00\n");
        assertEquals(Duration.ofSeconds(10), SpecRequest.age(proc, "42").orElseThrow());
    }
}
