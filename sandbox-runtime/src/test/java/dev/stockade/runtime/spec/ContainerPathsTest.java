package dev.stockade.runtime.spec;

import dev.stockade.runtime.spec.HostView.Entry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Paths resolved in a root filesystem the way runc's filepath-securejoin does. */
class ContainerPathsTest {

    private static ContainerPaths image(Map<String, Entry> files) {
        return new ContainerPaths(Specs.host(Map.of(), Set.of(), files), "/rootfs");
    }

    @Test
    void linksAreFollowedInsideTheRootNeverAboveIt() throws Exception {
        ContainerPaths paths = image(Map.of("/rootfs/var/run", Entry.link("../../../../run"), "/rootfs/run", Entry.DIRECTORY,
                "/rootfs/etc/alt", Entry.link("/usr/share/alt"), "/rootfs/usr/share/alt", Entry.link("./real")));
        ContainerPaths.Resolved run = paths.resolve("/var/run/secrets", List.of());
        assertEquals("/run/secrets", run.path());
        assertEquals(List.of(new ContainerPaths.Link("/var/run", "../../../../run")), run.links());
        assertEquals("/usr/share/real/x", paths.resolve("/etc/alt/x", List.of()).path());
        assertEquals("/b", paths.resolve("/a/../../b", List.of()).path(), "\"..\" stops at the container's root");
    }

    /** Below an earlier mount the image is not what runc sees: the rest is taken by name. */
    @Test
    void belowAnEarlierMountTheImageIsNotLookedAt() throws Exception {
        ContainerPaths paths = image(Map.of("/rootfs/dev", Entry.DIRECTORY, "/rootfs/dev/pts", Entry.link("/proc/sys")));
        assertEquals("/dev/pts", paths.resolve("/dev/pts", List.of("/proc", "/dev")).path());
        assertEquals("/proc/sys", paths.resolve("/dev/pts", List.of("/proc")).path(), "with no /dev mount the image's link counts");
    }

    @Test
    void whatIsAtTheEndIsReported() throws Exception {
        ContainerPaths paths = image(Map.of("/rootfs/dev", Entry.DIRECTORY, "/rootfs/dev/null", Entry.characterDevice(1, 3)));
        assertEquals(Entry.characterDevice(1, 3), paths.resolve("/dev/null", List.of()).entry());
        assertEquals(Entry.MISSING, paths.resolve("/dev/zero", List.of()).entry());
    }

    @Test
    void loopsAndUnreadableImagesFailClosed() {
        assertThrows(ContainerPaths.Unresolvable.class,
                () -> image(Map.of("/rootfs/loop", Entry.link("loop"))).resolve("/loop/x", List.of()));
        assertThrows(ContainerPaths.Unresolvable.class,
                () -> image(Map.of("/rootfs/etc", Entry.UNREADABLE)).resolve("/etc/hosts", List.of()));
    }

    @Test
    void destinationsAreCleanedAsRuncCleansThem() {
        assertEquals("/proc/sys", ContainerPaths.cleaned("a/../../proc//sys/"));
        assertEquals("/dev", ContainerPaths.cleaned("/dev/shm/.."));
        assertEquals("/", ContainerPaths.cleaned(""));
    }
}
