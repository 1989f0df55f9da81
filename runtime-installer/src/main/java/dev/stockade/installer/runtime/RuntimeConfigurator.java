package dev.stockade.installer.runtime;

import dev.stockade.installer.InstallerException;

import java.util.List;
import java.util.Optional;

/**
 * Registers handlers with one flavour of container runtime by computing the files of its
 * configuration. Pure with respect to the host: it reads the host's current files and returns
 * what they must become; {@link RuntimeConfigApplier} writes them.
 */
public interface RuntimeConfigurator {

    RuntimeKind kind();

    /**
     * The configuration files for these handlers, in the order they must be written: a file that
     * another one imports comes before the importer, so no intermediate state refers to a file
     * that does not exist yet. Every returned content has been parsed back and checked.
     *
     * @throws InstallerException when a host file cannot be parsed (it is then left untouched)
     */
    List<DesiredFile> desired(List<Handler> handlers) throws InstallerException;

    /**
     * The content of a host file this configurator edited, with Stockade's changes taken out of
     * its current content (used when someone changed the file since the installer wrote it).
     * Empty means the file must be deleted.
     */
    Optional<String> withoutStockade(String hostPath, String currentContent, List<Handler> installed) throws InstallerException;

    /**
     * What the node status must tell an admin about the host's configuration although the install
     * goes on (a setting that may keep the runtime from loading the handlers on some versions),
     * each naming the file and what to do. Read from the host like {@link #desired}.
     */
    default List<String> notices() throws InstallerException {
        return List.of();
    }

    /** Host-absolute directories holding the runtime's running tasks, to find containers of our handlers. */
    default List<String> taskStateDirectories() {
        return List.of();
    }
}
