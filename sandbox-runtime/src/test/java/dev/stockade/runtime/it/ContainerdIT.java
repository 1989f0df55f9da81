package dev.stockade.runtime.it;

import dev.stockade.testing.BusyboxImage;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.PrivateContainerd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The path a pod takes: a real containerd (started by the test in its own mount namespace) runs
 * busybox through the runc shim with the Stockade launcher as its runc binary, behind a handler
 * script like the one the installer writes.
 */
class ContainerdIT {

    @TempDir
    static Path dir;
    static Containers containers;
    static PrivateContainerd containerd;
    static String image;
    static Path handler;

    @BeforeAll
    static void setUp() throws Exception {
        containers = new Containers(Files.createDirectories(dir.resolve("containers")));
        Path archive = BusyboxImage.ociArchive(containers.rootfs, dir);
        containerd = PrivateContainerd.start(dir.resolve("containerd"));
        image = containerd.importImage(archive);
        Path profile = containers.profile("untrusted", "{}");
        handler = dir.resolve("stockade-untrusted");
        Files.writeString(handler, "#!/bin/sh\nSTOCKADE_PROFILE=" + profile + " exec " + containers.payload.resolve("bin/stockade-runtime") + " \"$@\"\n");
        Files.setPosixFilePermissions(handler, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterAll
    static void tearDown() {
        if (containerd != null) {
            containerd.close();
        }
    }

    private static CommandResult run(List<String> options, String... command) {
        List<String> all = new ArrayList<>(List.of("--runc-binary", handler.toString()));
        all.addAll(options);
        return containerd.run(image, Containers.newId(), all, command);
    }

    @Test
    void aProgramRunsHardenedThroughTheRuntime() {
        CommandResult result = run(List.of(), "sh", "-c", "echo hello; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status");
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("hello\nNoNewPrivs:\t1\nSeccomp:\t2\n", result.stdout());
    }

    /**
     * containerd's own default seccomp profile (what a pod with RuntimeDefault gets) narrows the
     * sandbox's allowlist: ordinary programs still run under both.
     */
    @Test
    void aProgramRunsUnderContainerdsDefaultSeccompProfileToo() {
        CommandResult result = run(List.of("--seccomp"), "sh", "-c",
                "echo data > /tmp/f && mkdir /tmp/d && cat /tmp/f && ls /tmp | sort | tr '\\n' ' ' && (sleep 0 & wait) && grep -E '^Seccomp:' /proc/self/status");
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("data\nd f Seccomp:\t2\n", result.stdout());
    }

    @Test
    void exitCodesAndStderrPassThrough() {
        CommandResult result = run(List.of(), "sh", "-c", "echo oops >&2; exit 5");
        assertEquals(5, result.exitCode(), result.describe());
        assertEquals("oops\n", result.stderr());
    }

    @Test
    void execIntoARunningContainer() {
        String id = Containers.newId();
        List<String> args = new ArrayList<>(List.of("run", "-d"));
        args.addAll(containerd.privateRunOptions());
        args.addAll(List.of("--runc-binary", handler.toString(), image, id, "sleep", "30"));
        try {
            containerd.ctr(java.time.Duration.ofSeconds(30), args).requireSuccess();
            CommandResult exec = containerd.ctr("task", "exec", "--fifo-dir", containerd.workDir().resolve("fifo").toString(),
                    "--exec-id", "e1", id, "sh", "-c", "echo from-exec; grep -E '^(CapEff|NoNewPrivs):' /proc/self/status");
            assertEquals(0, exec.exitCode(), exec.describe());
            assertTrue(exec.stdout().startsWith("from-exec\n"), exec.stdout());
            assertTrue(exec.stdout().contains("NoNewPrivs:\t1"), exec.stdout());
            long effective = Long.parseLong(exec.stdout().lines().filter(l -> l.startsWith("CapEff")).findFirst()
                    .orElseThrow().split("\t")[1], 16);
            assertEquals(0, effective & (1L << 13), "CAP_NET_RAW must be gone from an exec'd process");
        } finally {
            containerd.ctr("task", "kill", "-s", "SIGKILL", id);
            containerd.ctr("task", "delete", "--force", id);
            containerd.ctr("container", "delete", id);
        }
    }

    /** ctr -t makes the shim pass --console-socket; the terminal must reach the container. */
    @Test
    void aTerminalThroughTheConsoleSocketWorks() {
        String ctr = "ctr --address " + containerd.socket() + " run --rm -t " + String.join(" ", containerd.privateRunOptions())
                + " --runc-binary " + handler + " " + image + " " + Containers.newId() + " sh -c 'tty; echo on-a-terminal'";
        // script(1) gives ctr the terminal it needs; its own stdin is /dev/null.
        CommandResult result = dev.stockade.testing.Commands.run(java.time.Duration.ofSeconds(60), java.util.Map.of(),
                List.of("script", "-qec", ctr, "/dev/null"));
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stdout().contains("/dev/pts/0"), result.describe());
        assertTrue(result.stdout().contains("on-a-terminal"), result.describe());
    }

    private static void assertRefused(CommandResult result, String expected) {
        assertNotEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stderr().contains("stockade: container"), result.describe());
        assertTrue(result.stderr().contains(expected), result.describe());
        assertTrue(result.stderr().contains("sandbox profile untrusted"), result.describe());
    }

    @Test
    void privilegedIsRefusedWithTheReasonInContainerdsError() {
        assertRefused(run(List.of("--privileged"), "true"), "rule privileged");
    }

    @Test
    void hostRootMountIsRefused() {
        assertRefused(run(List.of("--mount", "type=bind,src=/,dst=/host,options=rbind:ro"), "true"), "host path / at /host");
    }

    @Test
    void hostPidNamespaceIsRefused() {
        assertRefused(run(List.of("--with-ns", "pid:/proc/1/ns/pid"), "true"), "joining the host's pid namespace");
    }

    @Test
    void hostNetworkIsRefused() {
        assertRefused(run(List.of("--net-host"), "true"), "host's network namespace");
    }

    @Test
    void addedSysAdminIsRefused() {
        assertRefused(run(List.of("--cap-add", "CAP_SYS_ADMIN"), "true"), "CAP_SYS_ADMIN");
    }

    @Test
    void syscallAttacksFailInsideWhileTheyWorkUnderPlainRunc() {
        for (String probe : List.of("unshare-user", "keyctl", "ptrace")) {
            CommandResult viaStockade = run(List.of(), "probe", probe);
            assertEquals(probe + ": Operation not permitted\n", viaStockade.stdout(), viaStockade.describe());
            CommandResult viaRunc = containerd.run(image, Containers.newId(), List.of(), "probe", probe);
            assertEquals(probe + ": ok\n", viaRunc.stdout(), viaRunc.describe());
        }
    }
}
