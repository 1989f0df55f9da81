package dev.stockade.installer;

/**
 * A failure an admin can act on: the message names the file or setting, the problem and what to do.
 * The command line prints it and exits non-zero; the reporter puts it into the node annotation.
 */
public class InstallerException extends Exception {

    public InstallerException(String message) {
        super(message);
    }

    public InstallerException(String message, Throwable cause) {
        super(message, cause);
    }
}
