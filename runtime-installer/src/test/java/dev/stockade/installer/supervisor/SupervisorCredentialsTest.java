package dev.stockade.installer.supervisor;

import dev.stockade.installer.host.HostProcesses;
import dev.stockade.installer.host.HostRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor runs in the host's mount namespace: it gets a root-only copy of the pod's credentials. */
class SupervisorCredentialsTest {

    @TempDir
    Path directory;

    @Test
    void podCredentialsAreCopiedRootOnlyRefreshedAndRemovedWithTheStateDirectory() throws Exception {
        Path pod = Files.createDirectories(directory.resolve("pod-serviceaccount"));
        Files.writeString(pod.resolve("token"), "token-1");
        Files.writeString(pod.resolve("ca.crt"), "ca");
        Files.writeString(pod.resolve("namespace"), "stockade-system");
        Path hostRoot = Files.createDirectories(directory.resolve("host"));
        SupervisorControl control = new SupervisorControl(new HostRoot(hostRoot), Optional.of("node-1"), new HostProcesses(new HostRoot(hostRoot), List::copyOf, false));

        assertTrue(control.shareCredentials(pod));
        Path copy = hostRoot.resolve("run/stockade/serviceaccount");
        assertEquals("token-1", Files.readString(copy.resolve("token")));
        assertEquals("stockade-system", Files.readString(copy.resolve("namespace")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(copy.resolve("token"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(copy)));

        // The kubelet rotates the token; the next pass refreshes the copy.
        Files.writeString(pod.resolve("token"), "token-2");
        control.shareCredentials(pod);
        assertEquals("token-2", Files.readString(copy.resolve("token")));

        control.removeHostState();
        assertFalse(Files.exists(copy));
        assertFalse(Files.exists(hostRoot.resolve("run/stockade")), "the empty state directory goes too");
    }

    @Test
    void nothingIsCopiedWithoutCredentials() throws Exception {
        Path hostRoot = Files.createDirectories(directory.resolve("host"));
        SupervisorControl control = new SupervisorControl(new HostRoot(hostRoot), Optional.empty(), new HostProcesses(new HostRoot(hostRoot), List::copyOf, false));

        assertFalse(control.shareCredentials(directory.resolve("no-serviceaccount")));
        assertFalse(Files.exists(hostRoot.resolve("run/stockade/serviceaccount")));
    }
}
