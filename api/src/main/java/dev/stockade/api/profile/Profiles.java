package dev.stockade.api.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The one canonical JSON form of a profile. The operator hashes what it renders and the installer
 * reports the hash of what it wrote, so both must produce the same bytes for the same profile.
 */
public final class Profiles {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** Canonical JSON of the resolved profile, ending in a newline. */
    public static String render(SandboxProfile profile) {
        try {
            return MAPPER.writeValueAsString(profile.resolved()) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render sandbox profile", e);
        }
    }

    /**
     * Reads a profile. Unknown fields are an error: a runtime that silently ignored a rule it
     * does not understand would enforce less than the admin asked for.
     */
    public static SandboxProfile parse(String json) throws JsonProcessingException {
        return MAPPER.readValue(json, SandboxProfile.class).resolved();
    }

    /** sha256 of the rendered bytes, as "sha256:hex". */
    public static String hash(String renderedJson) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(renderedJson.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private Profiles() {
    }
}
