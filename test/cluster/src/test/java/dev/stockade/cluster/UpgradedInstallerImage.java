package dev.stockade.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.testing.Commands;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A second release of the installer image, as an upgrade brings: the built image tar (a Docker
 * archive from Jib) with one more layer that gives the runtime payload another VERSION, so the
 * payload's content hash and release directory differ while everything else stays the same.
 */
final class UpgradedInstallerImage {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Writes {@code workDir/upgraded-installer.tar}, tagged {@code tag}, whose
     * /opt/stockade-payload/VERSION reads {@code version}, and returns its path.
     */
    static Path build(Path builtTar, String tag, String version, Path workDir) throws IOException {
        Path archive = Files.createDirectories(workDir.resolve("archive"));
        Commands.run("tar", "-xf", builtTar.toString(), "-C", archive.toString()).requireSuccess();

        Path layerRoot = Files.createDirectories(workDir.resolve("layer/opt/stockade-payload"));
        Files.writeString(layerRoot.resolve("VERSION"), version + "\n");
        Path layer = archive.resolve("upgrade-layer.tar");
        Commands.run("tar", "--owner=0", "--group=0", "--numeric-owner", "-C", workDir.resolve("layer").toString(),
                "-cf", layer.toString(), "opt").requireSuccess();
        String diffId = "sha256:" + sha256(layer);

        ArrayNode manifest = (ArrayNode) JSON.readTree(archive.resolve("manifest.json").toFile());
        ObjectNode image = (ObjectNode) manifest.get(0);
        ObjectNode config = (ObjectNode) JSON.readTree(archive.resolve(image.get("Config").asText()).toFile());
        ((ArrayNode) config.with("rootfs").withArray("diff_ids")).add(diffId);
        if (config.has("history")) {
            ((ArrayNode) config.get("history")).addObject().put("created_by", "stockade test: payload VERSION " + version);
        }
        Files.write(archive.resolve("upgraded-config.json"), JSON.writeValueAsBytes(config));
        image.put("Config", "upgraded-config.json");
        image.putArray("RepoTags").add(tag);
        ((ArrayNode) image.get("Layers")).add("upgrade-layer.tar");
        Files.write(archive.resolve("manifest.json"), JSON.writeValueAsBytes(manifest));

        Path tar = workDir.resolve("upgraded-installer.tar");
        Commands.run("tar", "-C", archive.toString(), "-cf", tar.toString(), ".").requireSuccess();
        return tar;
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private UpgradedInstallerImage() {
    }
}
