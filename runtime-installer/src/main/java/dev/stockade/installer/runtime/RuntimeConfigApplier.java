package dev.stockade.installer.runtime;

import dev.stockade.installer.Checkpoint;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostFiles;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.state.InstallState;
import dev.stockade.installer.state.ManagedFile;
import dev.stockade.installer.state.StateStore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Writes a configurator's files to the host and takes them back out. Before the first change of
 * a file its original is backed up and recorded in the state, so an installer killed between any
 * two steps finds on its next run everything it needs to finish or undo; each file is replaced
 * by a rename, so the container runtime only ever reads a whole old or a whole new file.
 */
public final class RuntimeConfigApplier {

    private final HostRoot host;
    private final StateStore store;
    private final Checkpoint checkpoint;

    public RuntimeConfigApplier(HostRoot host, StateStore store, Checkpoint checkpoint) {
        this.host = host;
        this.store = store;
        this.checkpoint = checkpoint;
    }

    /** Hash of the whole configuration: the container runtime is restarted when it changes. */
    public static String configHash(List<DesiredFile> files) {
        StringBuilder all = new StringBuilder();
        for (DesiredFile file : files) {
            all.append(file.hostPath()).append('\0').append(file.content()).append('\0');
        }
        return HostFiles.sha256(all.toString());
    }

    /**
     * Refuses files that are symbolic links: in the pod an absolute link target points into the
     * installer's own file system, not the host's, and replacing the file by a rename would turn
     * the host's link into a file. Checked before anything is changed.
     */
    public void checkReplaceable(List<DesiredFile> files) throws InstallerException {
        for (DesiredFile file : files) {
            if (Files.isSymbolicLink(host.resolve(file.hostPath()))) {
                throw new InstallerException(file.hostPath() + " is a symbolic link; the installer does not edit through links and "
                        + "changed nothing. Replace the link with the file it points to, or point the installer at that file.");
            }
        }
    }

    /** Writes the files that differ, in order; returns the updated state and whether anything was written. */
    public Applied apply(List<DesiredFile> files, InstallState initial) throws IOException {
        InstallState state = initial;
        List<String> written = new ArrayList<>();
        for (DesiredFile file : files) {
            Path visible = host.resolve(file.hostPath());
            byte[] desired = file.content().getBytes(StandardCharsets.UTF_8);
            String desiredHash = HostFiles.sha256(desired);
            Optional<byte[]> current = readBytes(visible);
            Optional<ManagedFile> record = state.file(file.hostPath());
            if (current.isPresent() && Arrays.equals(current.get(), desired)) {
                if (record.isEmpty()) {
                    // Already as wanted but unrecorded (the host imports the drop-in already, or state was lost):
                    // uninstall takes Stockade's part out by editing.
                    state = save(state.withFile(ManagedFile.found(file.hostPath(), !file.stockades())));
                } else if (record.get().writtenHash() == null && !record.get().withoutBackup()) {
                    // Killed after the write and before recording it: the content is the installer's.
                    state = save(state.withFile(record.get().withWrittenHash(desiredHash)));
                }
                continue;
            }
            if (record.isEmpty()) {
                String backup = current.isPresent() ? store.backup(file.hostPath(), current.get()) : null;
                record = Optional.of(new ManagedFile(file.hostPath(), current.isPresent(),
                        current.map(HostFiles::sha256).orElse(null), backup, null));
                state = save(state.withFile(record.get()));
                checkpoint.reached("recorded " + file.hostPath());
            }
            HostFiles.writeAtomically(visible, desired, permissions(visible));
            checkpoint.reached("wrote " + file.hostPath());
            state = save(state.withFile(record.get().withWrittenHash(desiredHash)));
            written.add(file.hostPath());
            checkpoint.reached("recorded write of " + file.hostPath());
        }
        return new Applied(state, written);
    }

    /**
     * Gives every managed file back, last changed first: unchanged since the installer wrote it,
     * the original comes back byte for byte; changed since, only Stockade's part is taken out.
     */
    public Applied revert(InstallState initial, RuntimeConfigurator configurator, List<Handler> installed) throws IOException, InstallerException {
        InstallState state = initial;
        List<String> changed = new ArrayList<>();
        List<ManagedFile> files = new ArrayList<>(state.files());
        for (int i = files.size() - 1; i >= 0; i--) {
            ManagedFile file = files.get(i);
            Path visible = host.resolve(file.path());
            HostFiles.removeLeftovers(visible);
            Optional<byte[]> current = readBytes(visible);
            if (current.isPresent()) {
                Optional<byte[]> restored = restoredContent(file, current.get(), configurator, installed);
                if (restored.isEmpty()) {
                    Files.delete(visible);
                    HostFiles.syncDirectory(visible.getParent());
                    changed.add(file.path());
                } else if (!Arrays.equals(restored.get(), current.get())) {
                    HostFiles.writeAtomically(visible, restored.get(), permissions(visible));
                    changed.add(file.path());
                }
                checkpoint.reached("restored " + file.path());
            }
            state = save(state.withoutFile(file.path()));
            checkpoint.reached("forgot " + file.path());
        }
        return new Applied(state, changed);
    }

    private Optional<byte[]> restoredContent(ManagedFile file, byte[] current, RuntimeConfigurator configurator,
                                             List<Handler> installed) throws IOException, InstallerException {
        if (file.originalHash() != null && file.originalHash().equals(HostFiles.sha256(current))) {
            return Optional.of(current);
        }
        // A file recorded without a backup (earlier installers also gave some a written hash) is edited below.
        if (file.writtenHash() != null && file.writtenHash().equals(HostFiles.sha256(current)) && !file.withoutBackup()) {
            return file.originalExisted() ? Optional.of(store.readBackup(file.backup())) : Optional.empty();
        }
        return configurator.withoutStockade(file.path(), new String(current, StandardCharsets.UTF_8), installed)
                .map(text -> text.getBytes(StandardCharsets.UTF_8));
    }

    private InstallState save(InstallState state) throws IOException {
        store.save(state);
        return state;
    }

    private static Optional<byte[]> readBytes(Path file) throws IOException {
        return Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
    }

    private static Set<PosixFilePermission> permissions(Path file) throws IOException {
        return Files.exists(file) ? Files.getPosixFilePermissions(file) : HostFiles.READABLE;
    }

    /** The state after a pass, and the host paths it changed. */
    public record Applied(InstallState state, List<String> changed) {
    }
}
