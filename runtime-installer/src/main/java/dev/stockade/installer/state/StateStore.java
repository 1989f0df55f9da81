package dev.stockade.installer.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.stockade.api.node.HostLayout;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostFiles;
import dev.stockade.installer.host.HostRoot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Keeps {@link InstallState} ({@link HostLayout#INSTALLER_STATE}) and the backups of edited host
 * files ({@link HostLayout#BACKUPS}) under {@link HostLayout#RUNTIME_DIR}, which survives reboots
 * (unlike {@link HostLayout#STATE_DIR}) and goes away only with the uninstall.
 */
public final class StateStore {

    /** Keys in a fixed order, so that the same state is always the same bytes. */
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    private final HostRoot host;

    public StateStore(HostRoot host) {
        this.host = host;
    }

    public InstallState load() throws InstallerException {
        Path file = host.resolve(HostLayout.INSTALLER_STATE);
        try {
            Optional<String> content = HostFiles.readIfExists(file);
            return content.isEmpty() ? InstallState.empty() : MAPPER.readValue(content.get(), InstallState.class);
        } catch (JsonProcessingException e) {
            throw new InstallerException(HostLayout.INSTALLER_STATE + " is not a Stockade installer state (" + e.getOriginalMessage()
                    + "); it records what to undo on uninstall, so the installer stops rather than guess. "
                    + "Restore it from " + HostLayout.BACKUPS + " or remove Stockade's changes by hand.", e);
        } catch (IOException e) {
            throw new InstallerException("cannot read " + HostLayout.INSTALLER_STATE + ": " + e.getMessage(), e);
        }
    }

    public void save(InstallState state) throws IOException {
        HostFiles.writeAtomically(host.resolve(HostLayout.INSTALLER_STATE), MAPPER.writeValueAsString(state) + "\n", HostFiles.READABLE);
    }

    /**
     * Stores the original of a host file; returns the backup's host path. Called only while the
     * state has no record of the file, so a leftover from an interrupted run is replaced.
     */
    public String backup(String hostPath, byte[] original) throws IOException {
        String backupPath = HostLayout.BACKUPS + hostPath;
        HostFiles.writeAtomically(host.resolve(backupPath), original, HostFiles.READABLE);
        return backupPath;
    }

    public byte[] readBackup(String backupPath) throws IOException {
        return Files.readAllBytes(host.resolve(backupPath));
    }
}
