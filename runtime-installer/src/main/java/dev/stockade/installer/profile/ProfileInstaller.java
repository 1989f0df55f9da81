package dev.stockade.installer.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.stockade.api.Stockade;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.profile.Profiles;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostFiles;
import dev.stockade.installer.host.HostRoot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Copies the policy's profiles (one {@code <class>.json} per runtime class, from the ConfigMap
 * mounted at STOCKADE_PROFILE_SOURCE) to {@code /etc/stockade/profiles}. Every profile is parsed
 * before any is written: the runtime reads them on each container create, and a profile it cannot
 * read would refuse every container of that class.
 */
public final class ProfileInstaller {

    private final HostRoot host;
    private final Path source;

    public ProfileInstaller(HostRoot host, Path source) {
        this.host = host;
        this.source = source;
    }

    /** Reads and validates the profiles of these runtime classes; returns class to canonical content. */
    public Map<String, String> read(Collection<String> runtimeClasses) throws InstallerException {
        Map<String, String> profiles = new LinkedHashMap<>();
        for (String runtimeClass : runtimeClasses) {
            Path file = source.resolve(Stockade.profileFileName(runtimeClass));
            String content;
            try {
                content = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new InstallerException("no profile for runtime class '" + runtimeClass + "': cannot read " + file
                        + " (" + e.getClass().getSimpleName() + "). The profile source (--profile-source, STOCKADE_PROFILE_SOURCE; in "
                        + "the DaemonSet the policy's ConfigMap) must hold " + Stockade.profileFileName(runtimeClass) + ", named after the "
                        + "runtime class before '=' in --handlers.", e);
            }
            try {
                Profiles.parse(content);
            } catch (JsonProcessingException e) {
                throw new InstallerException("profile " + file + " of runtime class '" + runtimeClass + "' is invalid: "
                        + e.getOriginalMessage() + "; nothing was installed. Fix the runtime class's profile in the SandboxPolicy.", e);
            }
            profiles.put(runtimeClass, content);
        }
        return profiles;
    }

    /** Writes the profiles that differ; removes those of classes no longer served. Returns class to hash. */
    public Map<String, String> install(Map<String, String> profiles, Collection<String> previousClasses) throws InstallerException {
        Map<String, String> hashes = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> profile : profiles.entrySet()) {
                Path target = host.resolve(hostPath(profile.getKey()));
                if (!HostFiles.readIfExists(target).equals(Optional.of(profile.getValue()))) {
                    HostFiles.writeAtomically(target, profile.getValue(), HostFiles.READABLE);
                }
                hashes.put(profile.getKey(), Profiles.hash(profile.getValue()));
            }
            for (String previous : previousClasses) {
                if (!profiles.containsKey(previous)) {
                    Files.deleteIfExists(host.resolve(hostPath(previous)));
                }
            }
        } catch (IOException e) {
            throw new InstallerException("cannot write profiles under " + HostLayout.PROFILE_DIR + ": " + e.getMessage(), e);
        }
        return hashes;
    }

    /** Removes the profiles of these classes, and the profile directories when nothing else is left in them. */
    public void remove(Collection<String> runtimeClasses) throws InstallerException {
        try {
            for (String runtimeClass : runtimeClasses) {
                Path profile = host.resolve(hostPath(runtimeClass));
                HostFiles.removeLeftovers(profile);
                Files.deleteIfExists(profile);
            }
            deleteIfEmpty(host.resolve(HostLayout.PROFILE_DIR));
            deleteIfEmpty(host.resolve(HostLayout.PROFILE_DIR).getParent());
        } catch (IOException e) {
            throw new InstallerException("cannot remove profiles under " + HostLayout.PROFILE_DIR + ": " + e.getMessage(), e);
        }
    }

    public static String hostPath(String runtimeClass) {
        return HostLayout.profile(runtimeClass);
    }

    private static void deleteIfEmpty(Path directory) throws IOException {
        if (Files.isDirectory(directory)) {
            try (var children = Files.list(directory)) {
                if (children.findAny().isEmpty()) {
                    Files.delete(directory);
                }
            }
        }
    }
}
