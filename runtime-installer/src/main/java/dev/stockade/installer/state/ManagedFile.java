package dev.stockade.installer.state;

/**
 * A host file the installer created or edited, and how to give it back.
 *
 * @param path            host-absolute path
 * @param originalExisted whether the file existed before the first install
 * @param originalHash    hash of the original content (null when it did not exist)
 * @param backup          host-absolute path of the copy of the original (null when it did not exist)
 * @param writtenHash     hash of what the installer last wrote; when the file still has this
 *                        content, uninstall restores the original byte for byte
 */
public record ManagedFile(String path, boolean originalExisted, String originalHash, String backup, String writtenHash) {

    /**
     * A file that already had the wanted content when first seen (the host's config already imports
     * the drop-in, or the state was lost): there is no original to restore, so uninstall takes
     * Stockade's part out by editing, and the installer never claims to have written it.
     */
    public static ManagedFile found(String path, boolean existedBefore) {
        return new ManagedFile(path, existedBefore, null, null, null);
    }

    /** True for a {@link #found} file the host had before: nothing of it can be restored from a backup. */
    public boolean withoutBackup() {
        return originalExisted && backup == null;
    }

    public ManagedFile withWrittenHash(String hash) {
        return new ManagedFile(path, originalExisted, originalHash, backup, hash);
    }
}
