package dev.stockade.installer.runtime;

/**
 * A host file of the container runtime's configuration and the content it must have.
 *
 * @param hostPath  host-absolute path
 * @param content   the whole file
 * @param stockades true for a file that is Stockade's alone (a drop-in), which uninstall deletes
 *                  even when someone edited it since
 */
public record DesiredFile(String hostPath, String content, boolean stockades) {
}
