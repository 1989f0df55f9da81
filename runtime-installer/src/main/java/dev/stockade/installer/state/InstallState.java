package dev.stockade.installer.state;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the installer did on this node, kept on the host so that a new installer pod (or a rerun
 * after a crash) knows what it owns: the files it manages in the order it changed them, and the
 * hash of the container runtime configuration the runtime was last restarted with.
 *
 * @param runtime            the container runtime flavour the files belong to
 * @param release            the payload release directory {@code current} points to
 * @param handlers           handler name to runtime class, in name order
 * @param profileHashes      runtime class to the hash of the profile written, in name order
 * @param files              managed files, in the order they were first changed
 * @param appliedConfigHash  hash of the runtime configuration the runtime was restarted with
 * @param createdDirectories host directories the installer created, removed on uninstall when empty
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record InstallState(
        String runtime,
        String release,
        Map<String, String> handlers,
        Map<String, String> profileHashes,
        List<ManagedFile> files,
        String appliedConfigHash,
        List<String> createdDirectories) {

    public InstallState {
        // Name order: Map.copyOf iterates in an order that differs between JVM runs, which rewrote an unchanged state file.
        handlers = handlers == null ? Map.of() : Collections.unmodifiableSortedMap(new TreeMap<>(handlers));
        profileHashes = profileHashes == null ? Map.of() : Collections.unmodifiableSortedMap(new TreeMap<>(profileHashes));
        files = files == null ? List.of() : List.copyOf(files);
        createdDirectories = createdDirectories == null ? List.of() : List.copyOf(createdDirectories);
    }

    public static InstallState empty() {
        return new InstallState(null, null, null, null, null, null, null);
    }

    public boolean isEmpty() {
        return release == null && files.isEmpty() && profileHashes.isEmpty() && createdDirectories.isEmpty();
    }

    public Optional<ManagedFile> file(String hostPath) {
        return files.stream().filter(f -> f.path().equals(hostPath)).findFirst();
    }

    public InstallState withFile(ManagedFile file) {
        List<ManagedFile> updated = new ArrayList<>();
        boolean replaced = false;
        for (ManagedFile existing : files) {
            if (existing.path().equals(file.path())) {
                updated.add(file);
                replaced = true;
            } else {
                updated.add(existing);
            }
        }
        if (!replaced) {
            updated.add(file);
        }
        return new InstallState(runtime, release, handlers, profileHashes, updated, appliedConfigHash, createdDirectories);
    }

    public InstallState withoutFile(String hostPath) {
        return new InstallState(runtime, release, handlers, profileHashes,
                files.stream().filter(f -> !f.path().equals(hostPath)).toList(), appliedConfigHash, createdDirectories);
    }

    public InstallState withRuntime(String value) {
        return new InstallState(value, release, handlers, profileHashes, files, appliedConfigHash, createdDirectories);
    }

    public InstallState withRelease(String value) {
        return new InstallState(runtime, value, handlers, profileHashes, files, appliedConfigHash, createdDirectories);
    }

    public InstallState withHandlers(Map<String, String> value) {
        return new InstallState(runtime, release, value, profileHashes, files, appliedConfigHash, createdDirectories);
    }

    public InstallState withProfileHashes(Map<String, String> value) {
        return new InstallState(runtime, release, handlers, value, files, appliedConfigHash, createdDirectories);
    }

    public InstallState withCreatedDirectories(List<String> value) {
        return new InstallState(runtime, release, handlers, profileHashes, files, appliedConfigHash, value);
    }

    public InstallState withAppliedConfigHash(String value) {
        return new InstallState(runtime, release, handlers, profileHashes, files, value, createdDirectories);
    }
}
