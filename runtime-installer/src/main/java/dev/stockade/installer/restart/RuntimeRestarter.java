package dev.stockade.installer.restart;

import dev.stockade.installer.InstallerException;

/** Makes the container runtime load its changed configuration and waits until it answers again. */
public interface RuntimeRestarter {

    void restart() throws InstallerException;

    /** For messages: how this restarter restarts. */
    String describe();
}
