package dev.stockade.installer.preset;

import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.preset.RuntimePreset.Marker;
import dev.stockade.installer.preset.RuntimePreset.SystemdUnit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads the host for the decisions of {@link RuntimePresets}: which of the table's markers exist
 * under the host root, and which systemd unit files are there.
 */
public final class FlavourDetector {

    /**
     * The preset {@code setting} ({@code STOCKADE_CONTAINER_RUNTIME}) names, or for {@code auto}
     * the one the host's files show.
     *
     * @throws InstallerException for an unknown setting, or when auto finds no flavour
     */
    public static RuntimePreset resolve(String setting, HostRoot host, String containerdConfig) throws InstallerException {
        Optional<RuntimePreset> named = RuntimePresets.named(setting, containerdConfig);
        return named.isPresent() ? named.get() : RuntimePresets.detect(presentMarkers(host), containerdConfig, host.path().toString());
    }

    /** The markers of {@link RuntimePresets#markers()} that exist under the host root. */
    public static Set<Marker> presentMarkers(HostRoot host) {
        return RuntimePresets.markers().stream().filter(marker -> {
            Path path = host.resolve(marker.path());
            return marker.directory() ? Files.isDirectory(path) : Files.exists(path);
        }).collect(Collectors.toSet());
    }

    /** The unit of {@code restart} to restart on this host. */
    public static String systemdUnit(SystemdUnit restart, HostRoot host) {
        return restart.unit(restart.units().stream()
                .filter(unit -> RuntimePresets.SYSTEMD_UNIT_DIRECTORIES.stream()
                        .anyMatch(directory -> Files.exists(host.resolve(directory + "/" + unit + ".service"))))
                .collect(Collectors.toSet()));
    }

    private FlavourDetector() {
    }
}
