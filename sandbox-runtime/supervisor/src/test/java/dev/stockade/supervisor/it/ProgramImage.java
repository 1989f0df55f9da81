package dev.stockade.supervisor.it;

import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.HostPrerequisites;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Ordinary programs added to a busybox root filesystem, each at its host path with the shared
 * libraries ldd names: the payload's JRE at /jre with /app/Work.class, Debian's python3 with its
 * standard library and /app/{work,serve}.py, Debian's sqlite3, and a web root /www.
 */
final class ProgramImage {

    private static final Path PROGRAMS = Path.of("src/test/resources/programs");

    private ProgramImage() {
    }

    static void addTo(Path rootfs, Path payload, Path workDir) throws IOException {
        Path python = Path.of("/usr/bin/python3");
        Path sqlite = Path.of("/usr/bin/sqlite3");
        HostPrerequisites.require(Files.isExecutable(python), "Debian's python3 at " + python);
        HostPrerequisites.require(Files.isExecutable(sqlite), "Debian's sqlite3 at " + sqlite);
        Path app = Files.createDirectories(rootfs.resolve("app"));
        // As in distribution images: runc gives the tmpfs at /tmp the mode of the image's directory.
        Commands.run("chmod", "1777", Files.createDirectories(rootfs.resolve("tmp")).toString()).requireSuccess();
        Files.createDirectories(rootfs.resolve("www"));
        Files.writeString(rootfs.resolve("www/index.html"), "hello from /www\n");

        Path jre = payload.resolve("jre");
        shell("cp -a \"$1/.\" \"$2\"", jre, Files.createDirectories(rootfs.resolve("jre")));
        List<Path> jreLibraries = new ArrayList<>(List.of(jre.resolve("bin/java"), jre.resolve("lib/server/libjvm.so")));
        try (var libraries = Files.list(jre.resolve("lib"))) {
            libraries.filter(file -> file.toString().endsWith(".so")).forEach(jreLibraries::add);
        }
        copyLibraries(rootfs, jreLibraries);
        Path javac = Path.of(System.getProperty("java.home"), "bin", "javac");
        Commands.run(Duration.ofMinutes(2), Map.of(), List.of(javac.toString(), "-d", app.toString(), PROGRAMS.resolve("Work.java").toString()))
                .requireSuccess();

        Path pythonBinary = python.toRealPath();
        copyAtHostPath(rootfs, pythonBinary);
        Files.createSymbolicLink(rootfs.resolve("usr/bin/python3"), pythonBinary);
        String stdlib = Commands.run(python.toString(), "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])")
                .requireSuccess().stdout().strip();
        Files.createDirectories(rootfs.resolve(stdlib.substring(1)));
        shell("tar -C \"$1\" --exclude=test --exclude=idlelib --exclude=tkinter --exclude=ensurepip --exclude=__pycache__ -cf - . "
                + "| tar -C \"$2\" -xf -", Path.of(stdlib), rootfs.resolve(stdlib.substring(1)));
        List<Path> pythonLibraries = new ArrayList<>(List.of(pythonBinary));
        try (var extensions = Files.list(Path.of(stdlib, "lib-dynload"))) {
            extensions.filter(file -> file.toString().endsWith(".so")).forEach(pythonLibraries::add);
        }
        copyLibraries(rootfs, pythonLibraries);
        Files.copy(PROGRAMS.resolve("work.py"), app.resolve("work.py"));
        Files.copy(PROGRAMS.resolve("serve.py"), app.resolve("serve.py"));

        copyAtHostPath(rootfs, sqlite);
        copyLibraries(rootfs, List.of(sqlite));
    }

    /** Copies each shared library (and the dynamic loader) that {@code programs} load, at its host path. */
    private static void copyLibraries(Path rootfs, List<Path> programs) {
        List<String> command = new ArrayList<>(List.of("ldd"));
        programs.forEach(program -> command.add(program.toString()));
        CommandResult ldd = Commands.run(Duration.ofMinutes(1), Map.of(), command);
        TreeSet<String> libraries = new TreeSet<>();
        for (String line : ldd.stdout().lines().toList()) {
            String trimmed = line.strip();
            int arrow = trimmed.indexOf("=> /");
            if (arrow >= 0) {
                libraries.add(trimmed.substring(arrow + 3).split(" ")[0]);
            } else if (trimmed.startsWith("/") && trimmed.contains("ld-linux")) {
                libraries.add(trimmed.split(" ")[0]);
            }
        }
        libraries.forEach(library -> copyAtHostPath(rootfs, Path.of(library)));
    }

    private static void copyAtHostPath(Path rootfs, Path file) {
        shell("cp -L --parents \"$1\" \"$2/\"", file, rootfs);
    }

    private static void shell(String script, Path first, Path second) {
        Commands.run(Duration.ofMinutes(2), Map.of(), List.of("sh", "-c", script, "sh", first.toString(), second.toString())).requireSuccess();
    }
}
