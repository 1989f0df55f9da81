package dev.stockade.installer;

import java.nio.file.Path;

/**
 * Runs install or uninstall on a {@link FakeHost} in a JVM of its own and halts that JVM (no
 * finally blocks, no shutdown hooks: as {@code kill -9} would) right after a named step.
 * Arguments: directory, flavour index in {@link Flavour#all()}, install|uninstall, step.
 */
public final class HaltingInstaller {

    public static final int HALTED = 137;

    public static void main(String[] args) throws Exception {
        FakeHost host = new FakeHost(Path.of(args[0]));
        Flavour flavour = Flavour.all().get(Integer.parseInt(args[1]));
        String haltAfter = args[3];
        Installer installer = host.installer(flavour.configurator(), step -> {
            if (step.equals(haltAfter)) {
                Runtime.getRuntime().halt(HALTED);
            }
        });
        if (args[2].equals("install")) {
            installer.install();
        } else {
            installer.uninstall(false);
        }
        System.exit(0);
    }

    private HaltingInstaller() {
    }
}
