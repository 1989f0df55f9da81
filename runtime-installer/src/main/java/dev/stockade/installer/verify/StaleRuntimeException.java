package dev.stockade.installer.verify;

import dev.stockade.installer.InstallerException;

/**
 * The running container runtime started before its configuration files were last changed, so it
 * may run without the handlers. A restart is the cure: the installer restarts once and verifies again.
 */
public final class StaleRuntimeException extends InstallerException {

    public StaleRuntimeException(String message) {
        super(message);
    }
}
