package dev.stockade.installer.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostFiles;
import dev.stockade.installer.host.HostRoot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Keeps {@link InstallState} and the backups of edited host files under {@code /opt/stockade},
 * which survives reboots (unlike {@code /run/stockade}) and goes away only with the uninstall.
 */
public final class StateStore {

    public static final String STATE_FILE = "/opt/stockade/installer-state.json";
    public static final String BACKUP_DIR = "/opt/stockade/backups";

    /** Keys in a fixed order, so that the same state is always the same bytes. */
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    private final HostRoot host;

    public StateStore(HostRoot host) {
        this.host = host;
    }

    public InstallState load() throws InstallerException {
        Path file = host.resolve(STATE_FILE);
        try {
            Optional<String> content = HostFiles.readIfExists(file);
            return content.isEmpty() ? InstallState.empty() : MAPPER.readValue(content.get(), InstallState.class);
        } catch (JsonProcessingException e) {
            throw new InstallerException(STATE_FILE + " is not a Stockade installer state (" + e.getOriginalMessage()
                    + "); it records what to undo on uninstall, so the installer stops rather than guess. "
                    + "Restore it from " + BACKUP_DIR + " or remove Stockade's changes by hand.", e);
        } catch (IOException e) {
            throw new InstallerException("cannot read " + STATE_FILE + ": " + e.getMessage(), e);
        }
    }

    public void save(InstallState state) throws IOException {
        HostFiles.writeAtomically(host.resolve(STATE_FILE), MAPPER.writeValueAsString(state) + "\n", HostFiles.READABLE);
    }

    /**
     * Stores the original of a host file; returns the backup's host path. Called only while the
     * state has no record of the file, so a leftover from an interrupted run is replaced.
     */
    public String backup(String hostPath, byte[] original) throws IOException {
        String backupPath = BACKUP_DIR + hostPath;
        HostFiles.writeAtomically(host.resolve(backupPath), original, HostFiles.READABLE);
        return backupPath;
    }

    public byte[] readBackup(String backupPath) throws IOException {
        return Files.readAllBytes(host.resolve(backupPath));
    }
}
