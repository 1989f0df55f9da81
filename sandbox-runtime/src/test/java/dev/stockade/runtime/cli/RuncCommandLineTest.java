package dev.stockade.runtime.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuncCommandLineTest {

    @Test
    void containerdShimCreate() {
        List<String> args = List.of("--root", "/run/containerd/runc/k8s.io", "--log", "/run/x/log.json", "--log-format", "json",
                "--systemd-cgroup", "create", "--bundle", "/run/x", "--pid-file", "/run/x/init.pid", "--console-socket",
                "/tmp/pty.sock", "--preserve-fds", "2", "abc");
        RuncCommandLine command = RuncCommandLine.parse(args);
        assertEquals(Optional.of("create"), command.subcommand());
        assertEquals(Optional.of(Path.of("/run/x/log.json")), command.logFile());
        assertEquals("json", command.logFormat());
        assertEquals(Optional.of(Path.of("/run/x")), command.bundle());
        assertEquals(2, command.preserveFds());
        assertEquals(Optional.of("abc"), command.containerId());
        assertEquals(args, command.arguments());
        assertTrue(command.carriesSpec());
    }

    /** The spec server runs elsewhere than the launcher: runc's relative paths are the launcher's. */
    @Test
    void relativePathsResolveAgainstTheCallersDirectory() {
        RuncCommandLine create = RuncCommandLine.parse(List.of("--log", "log.json", "create", "c1")).relativeTo(Path.of("/run/bundle"));
        assertEquals(Optional.of(Path.of("/run/bundle")), create.bundle(), "no --bundle means the working directory");
        assertEquals(Optional.of(Path.of("/run/bundle/log.json")), create.logFile());
        RuncCommandLine exec = RuncCommandLine.parse(List.of("exec", "--process", "/abs/p.json", "c1")).relativeTo(Path.of("/elsewhere"));
        assertEquals(Optional.of(Path.of("/abs/p.json")), exec.processFile(), "absolute paths stay as they are");
    }

    @Test
    void equalsFormsAndSingleDashFlags() {
        RuncCommandLine command = RuncCommandLine.parse(List.of("-log=/l", "--log-format=json", "-root", "/r", "run", "-b=/b", "-d", "id"));
        assertEquals(Optional.of(Path.of("/l")), command.logFile());
        assertEquals("json", command.logFormat());
        assertEquals(Optional.of("run"), command.subcommand());
        assertEquals(Optional.of(Path.of("/b")), command.bundle());
        assertEquals(Optional.of("id"), command.containerId());
    }

    @Test
    void bundleDefaultsToTheWorkingDirectory() {
        assertEquals(Optional.of(Path.of("")), RuncCommandLine.parse(List.of("create", "id")).bundle());
    }

    @Test
    void execWithProcessFileAndCapabilities() {
        RuncCommandLine command = RuncCommandLine.parse(List.of("--root", "/r", "exec", "--process", "/tmp/p.json", "--detach",
                "--pid-file", "/tmp/pid", "--cap", "CAP_SYS_ADMIN", "id", "sh", "--cap", "ignored"));
        assertEquals(Optional.of(Path.of("/tmp/p.json")), command.processFile());
        assertEquals(List.of("CAP_SYS_ADMIN"), command.addedCapabilities());
        assertEquals(Optional.of("id"), command.containerId());
    }

    @Test
    void theSpecFileIsTheBundlesConfigOrExecsProcessFile() {
        assertEquals(Optional.of(Path.of("/b/config.json")), RuncCommandLine.parse(List.of("create", "--bundle", "/b", "id")).specFile());
        assertEquals(Optional.of(Path.of("/b/config.json")), RuncCommandLine.parse(List.of("run", "-b", "/b", "id")).specFile());
        assertEquals(Optional.of(Path.of("config.json")), RuncCommandLine.parse(List.of("create", "id")).specFile());
        assertEquals(Optional.of(Path.of("/p.json")), RuncCommandLine.parse(List.of("exec", "--process", "/p.json", "id")).specFile());
        assertEquals(Optional.empty(), RuncCommandLine.parse(List.of("exec", "id", "sh")).specFile());
        assertEquals(Optional.empty(), RuncCommandLine.parse(List.of("kill", "id", "9")).specFile());
    }

    @Test
    void subcommandsWithoutSpecAndUnknownFlagsPassThroughUntouched() {
        List<String> args = List.of("--root", "/r", "--some-future-flag", "kill", "--all", "id", "9");
        RuncCommandLine command = RuncCommandLine.parse(args);
        assertEquals(Optional.of("kill"), command.subcommand());
        assertFalse(command.carriesSpec());
        assertEquals(args, command.arguments());
    }

    @Test
    void noSubcommand() {
        assertEquals(Optional.empty(), RuncCommandLine.parse(List.of("--version")).subcommand());
    }
}
