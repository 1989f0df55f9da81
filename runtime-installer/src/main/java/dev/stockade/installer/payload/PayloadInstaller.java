package dev.stockade.installer.payload;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.EngineDirectories;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.node.LauncherEnvironment;
import dev.stockade.installer.Checkpoint;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostFiles;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.runtime.Handler;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Puts the bundled runtime on the host. Each payload goes to its own directory
 * {@link HostLayout#RELEASES}{@code /<version>-<content hash>}, copied beside and renamed into place
 * when complete; {@link HostLayout#CURRENT} is a symlink switched by a rename. A container
 * runtime executing the old release keeps its files; nothing is ever overwritten in place.
 */
public final class PayloadInstaller {

    /** The payload in the installer image does not change while it runs: hash it once. */
    private static final ConcurrentHashMap<Path, String> TREE_HASHES = new ConcurrentHashMap<>();

    private final HostRoot host;
    private final Path payload;
    private final Optional<String> policy;
    private final String kubeletRoot;
    private final Optional<EngineDirectories> engines;
    private final Checkpoint checkpoint;

    /** {@code policy} goes into each launcher's environment (the runtime passes it to the supervisor). */
    public PayloadInstaller(HostRoot host, Path payload, Optional<String> policy, Checkpoint checkpoint) {
        this(host, payload, policy, InstallerEnvironment.DEFAULT_KUBELET_ROOT, checkpoint);
    }

    /** {@code kubeletRoot}: the kubelet's --root-dir, which the launchers tell the runtime when it is not the usual one. */
    public PayloadInstaller(HostRoot host, Path payload, Optional<String> policy, String kubeletRoot, Checkpoint checkpoint) {
        this(host, payload, policy, kubeletRoot, Optional.empty(), checkpoint);
    }

    /**
     * {@code engines}: the container engine's directories as read from its configuration, which the
     * launchers tell the runtime (without them it assumes the engines' usual ones).
     */
    public PayloadInstaller(HostRoot host, Path payload, Optional<String> policy, String kubeletRoot, Optional<EngineDirectories> engines,
                            Checkpoint checkpoint) {
        this.engines = engines;
        this.host = host;
        this.payload = payload;
        this.policy = policy;
        this.kubeletRoot = kubeletRoot;
        this.checkpoint = checkpoint;
    }

    /** The payload's version, from its VERSION file. */
    public String version() throws InstallerException {
        Path versionFile = payload.resolve("VERSION");
        try {
            String version = Files.readString(versionFile, StandardCharsets.UTF_8).strip();
            if (!version.matches("[A-Za-z0-9._+-]{1,64}")) {
                throw new InstallerException(versionFile + " holds '" + version + "', which is not a version (letters, digits, . _ + -)");
            }
            return version;
        } catch (IOException e) {
            throw new InstallerException("the runtime payload at " + payload + " has no readable VERSION file (" + e.getMessage()
                    + "); set STOCKADE_PAYLOAD to the unpacked payload directory", e);
        }
    }

    /** Copies the payload into its release directory (once) and points {@code current} at it. */
    public String install() throws InstallerException {
        String version = version();
        if (!Files.isExecutable(payload.resolve(HostLayout.RUNTIME_LAUNCHER))) {
            throw new InstallerException("the runtime payload at " + payload + " has no executable " + HostLayout.RUNTIME_LAUNCHER);
        }
        String release = version + "-" + treeHash(payload).substring("sha256:".length(), "sha256:".length() + 12);
        Path target = host.resolve(HostLayout.RELEASES + "/" + release);
        try {
            HostFiles.removeLeftovers(target);
            if (!Files.isDirectory(target)) {
                Path partial = HostFiles.besideTarget(target, "partial");
                copyTree(payload, partial);
                HostFiles.replace(partial, target);
                HostFiles.syncDirectory(target.getParent());
            }
            checkpoint.reached("copied release " + release);
            switchCurrent(release);
            checkpoint.reached("switched current to " + release);
            return release;
        } catch (IOException e) {
            throw new InstallerException("cannot install the runtime under " + HostLayout.RELEASES + "/" + release + ": " + e.getMessage(), e);
        }
    }

    /** The release {@code current} points to, if any. */
    public Optional<String> currentRelease() {
        Path current = host.resolve(HostLayout.CURRENT);
        try {
            return Files.isSymbolicLink(current)
                    ? Optional.of(Files.readSymbolicLink(current).getFileName().toString())
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes one launcher per handler and removes launchers of handlers no longer wanted. A
     * launcher names its profile and executes whatever release {@code current} points to.
     */
    public void writeLaunchers(Collection<Handler> handlers, Collection<String> previousHandlers) throws InstallerException {
        if (policy.isPresent() && !policy.get().matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
            throw new InstallerException("policy '" + policy.get() + "' is not a Kubernetes object name (lower-case letters, digits, - and .)");
        }
        try {
            for (Handler handler : handlers) {
                Path launcher = host.resolve(handler.launcher());
                String script = launcherScript(handler);
                if (!HostFiles.readIfExists(launcher).equals(Optional.of(script))) {
                    HostFiles.writeAtomically(launcher, script, HostFiles.EXECUTABLE);
                    checkpoint.reached("wrote launcher " + handler.name());
                }
            }
            Set<String> wanted = handlers.stream().map(Handler::name).collect(java.util.stream.Collectors.toSet());
            for (String previous : previousHandlers) {
                if (!wanted.contains(previous)) {
                    Files.deleteIfExists(host.resolve(HostLayout.handlerLauncher(previous)));
                }
            }
        } catch (IOException e) {
            throw new InstallerException("cannot write the handler launchers under " + HostLayout.HANDLERS + ": " + e.getMessage(), e);
        }
    }

    /** Deletes releases other than the current and the one it replaced (which may still be executing). */
    public void pruneReleases(String current, String previous) throws InstallerException {
        Path releases = host.resolve(HostLayout.RELEASES);
        if (!Files.isDirectory(releases)) {
            return;
        }
        try (Stream<Path> children = Files.list(releases)) {
            for (Path release : children.toList()) {
                String name = release.getFileName().toString();
                if (!name.equals(current) && !name.equals(previous)) {
                    HostFiles.deleteTree(release);
                }
            }
        } catch (IOException e) {
            throw new InstallerException("cannot prune old releases under " + HostLayout.RELEASES + ": " + e.getMessage(), e);
        }
    }

    public String launcherScript(Handler handler) {
        // Policy names are Kubernetes object names: nothing in them needs shell quoting.
        return "#!/bin/sh\n"
                + "# Stockade handler " + handler.name() + " (runtime class " + handler.runtimeClass()
                + "); written by stockade-runtime-installer.\n"
                + exported(LauncherEnvironment.PROFILE, HostLayout.profile(handler.runtimeClass()))
                + policy.map(name -> exported(LauncherEnvironment.POLICY, name)).orElse("")
                // Checked against Stockade.KUBELET_ROOT_PATTERN: nothing in it needs quoting either.
                + (kubeletRoot.equals(InstallerEnvironment.DEFAULT_KUBELET_ROOT) ? "" : exported(LauncherEnvironment.KUBELET_ROOT, kubeletRoot))
                // Paths of EngineDirectories.SAFE_PATH, separated by spaces: single quotes keep them one word.
                + engines.map(directories -> exported(LauncherEnvironment.ENGINE_DIRECTORIES, "'" + directories.format() + "'")).orElse("")
                + "exec " + HostLayout.CURRENT + "/" + HostLayout.RUNTIME_LAUNCHER + " \"$@\"\n";
    }

    private static String exported(String name, String shellValue) {
        return name + "=" + shellValue + "\nexport " + name + "\n";
    }

    private void switchCurrent(String release) throws IOException {
        Path current = host.resolve(HostLayout.CURRENT);
        // Relative, so that the link holds under any host root.
        Path link = Path.of(HostLayout.RUNTIME_DIR).relativize(Path.of(HostLayout.RELEASES, release));
        if (Files.isSymbolicLink(current) && Files.readSymbolicLink(current).equals(link)) {
            return;
        }
        HostFiles.removeLeftovers(current);
        Path fresh = HostFiles.besideTarget(current, "link");
        Files.createSymbolicLink(fresh, link);
        HostFiles.replace(fresh, current);
        HostFiles.syncDirectory(current.getParent());
    }

    private static void copyTree(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(target.resolve(source.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, target.resolve(source.relativize(file).toString()),
                        StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** sha256 over every path, its executable bit and its content, in sorted order. */
    static String treeHash(Path root) throws InstallerException {
        String cached = TREE_HASHES.get(root);
        if (cached != null) {
            return cached;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path file : walk.sorted().toList()) {
                digest.update(root.relativize(file).toString().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                if (Files.isSymbolicLink(file)) {
                    digest.update(Files.readSymbolicLink(file).toString().getBytes(StandardCharsets.UTF_8));
                } else if (Files.isRegularFile(file)) {
                    digest.update((byte) (Files.isExecutable(file) ? 1 : 0));
                    try (InputStream in = Files.newInputStream(file)) {
                        byte[] buffer = new byte[65536];
                        for (int read = in.read(buffer); read > 0; read = in.read(buffer)) {
                            digest.update(buffer, 0, read);
                        }
                    }
                }
                digest.update((byte) 0);
            }
            String hash = "sha256:" + HexFormat.of().formatHex(digest.digest());
            TREE_HASHES.put(root, hash);
            return hash;
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new InstallerException("cannot read the runtime payload at " + root + ": " + e.getMessage(), e);
        }
    }
}
