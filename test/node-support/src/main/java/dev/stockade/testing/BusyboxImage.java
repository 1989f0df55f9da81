package dev.stockade.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A busybox root filesystem from Debian's {@code busybox-static}, and an OCI image of it made with
 * {@code umoci} that {@code ctr images import} accepts. No registry is needed.
 */
public final class BusyboxImage {

    /** The image name a {@link PrivateContainerd#importImage} of {@link #ociArchive} gives by default. */
    public static final String DEFAULT_REFERENCE = "docker.io/stockade/busybox:latest";

    /**
     * Creates {@code rootfs} (must not exist) holding /bin/busybox with a link per applet, /etc/passwd
     * and /etc/group for root and nobody, and empty /proc, /sys, /dev, /tmp, /root.
     */
    public static Path rootfs(Path rootfs) {
        Path busybox = HostPrerequisites.requireExecutable("busybox");
        try {
            Path bin = Files.createDirectories(rootfs.resolve("bin"));
            for (String dir : new String[] {"etc", "proc", "sys", "dev", "tmp", "root"}) {
                Files.createDirectories(rootfs.resolve(dir));
            }
            Files.copy(busybox, bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
            String applets = Commands.run(bin.resolve("busybox").toString(), "--list").requireSuccess().stdout();
            for (String applet : applets.split("\n")) {
                if (!applet.isBlank() && !applet.equals("busybox")) {
                    Files.createSymbolicLink(bin.resolve(applet.strip()), Path.of("busybox"));
                }
            }
            Files.writeString(rootfs.resolve("etc/passwd"),
                    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
            Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nnobody:x:65534:\n");
            return rootfs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build a busybox root filesystem in " + rootfs, e);
        }
    }

    /**
     * Builds an OCI image (tag {@code latest}, command {@code /bin/sh}) from {@code rootfs} under
     * {@code workDir} with umoci and returns a tar of the OCI layout, ready for
     * {@link PrivateContainerd#importImage}.
     */
    public static Path ociArchive(Path rootfs, Path workDir) {
        HostPrerequisites.requireExecutable("umoci");
        HostPrerequisites.requireExecutable("tar");
        Path layout = workDir.resolve("oci-layout");
        Path archive = workDir.resolve("busybox-oci.tar");
        Commands.run("umoci", "init", "--layout", layout.toString()).requireSuccess();
        Commands.run("umoci", "new", "--image", layout + ":latest").requireSuccess();
        Commands.run("umoci", "insert", "--image", layout + ":latest", rootfs.toString(), "/").requireSuccess();
        Commands.run("umoci", "config", "--image", layout + ":latest", "--config.cmd", "/bin/sh").requireSuccess();
        Commands.run("tar", "-C", layout.toString(), "-cf", archive.toString(), ".").requireSuccess();
        return archive;
    }

    private BusyboxImage() {
    }
}
