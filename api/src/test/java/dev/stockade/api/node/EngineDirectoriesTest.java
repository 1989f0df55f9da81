package dev.stockade.api.node;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EngineDirectoriesTest {

    @Test
    void theTextFormReadsBackToTheSameDirectoriesInOrder() {
        EngineDirectories directories = EngineDirectories.parse(" docker:/srv/docker  containerd:/var/lib/containerd containerd:/run/containerd ");
        assertEquals("docker:/srv/docker containerd:/var/lib/containerd containerd:/run/containerd", directories.format());
        assertEquals(directories, EngineDirectories.parse(directories.format()));
        assertEquals(List.of("/var/lib/containerd", "/run/containerd"), directories.paths(EngineDirectories.Layout.CONTAINERD));
        assertEquals(List.of(), directories.paths(EngineDirectories.Layout.CONTAINERS_STORAGE));
    }

    @Test
    void aDirectoryNamedTwiceIsKeptOnce() {
        assertEquals("docker:/var/lib/docker", EngineDirectories.parse("docker:/var/lib/docker docker:/var/lib/docker").format());
    }

    @Test
    void theDefaultsHoldEveryEnginesUsualDirectories() {
        assertEquals(List.of("/var/lib/docker"), EngineDirectories.DEFAULTS.paths(EngineDirectories.Layout.DOCKER));
        assertTrue(EngineDirectories.DEFAULTS.paths(EngineDirectories.Layout.CONTAINERD).containsAll(List.of("/var/lib/containerd", "/run/containerd")));
        assertEquals(List.of("/var/lib/containers/storage", "/run/containers/storage"),
                EngineDirectories.DEFAULTS.paths(EngineDirectories.Layout.CONTAINERS_STORAGE));
    }

    /** Anything a shell would read differently, or a path that is not what it says, never reaches a launcher. */
    @ParameterizedTest
    @ValueSource(strings = {"docker:relative/dir", "docker:/var/lib/docker/", "docker:/var/lib/../docker", "docker:/var/lib/$(reboot)",
            "docker:/var/lib/my docker", "docker:/", "docker", "podman:/var/lib/containers", "docker:/var/lib/docker;x"})
    void malformedEntriesAreRefusedNamingTheEntry(String text) {
        IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class, () -> EngineDirectories.parse(text));
        assertTrue(refusal.getMessage().contains("engine"), refusal.getMessage());
    }
}
