package dev.stockade.installer.restart;

import dev.stockade.installer.InstallerException;

/** Makes the container runtime load its changed configuration and waits until it answers again. */
public interface RuntimeRestarter {

    void restart() throws InstallerException;

    /**
     * Whether the runtime has no process that {@link #restart()} could reach. Only a restarter that
     * signals a running process can be stopped: a restart command starts a stopped runtime.
     *
     * @throws InstallerException when the host cannot be read to tell
     */
    default boolean stopped() throws InstallerException {
        return false;
    }

    /** For messages: how this restarter restarts. */
    String describe();
}
