package dev.stockade.api.status;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.List;
import java.util.Map;

/**
 * The installer's report about its node, stored as JSON in the
 * {@code stockade.dev/runtime-status} annotation and read by the operator into policy status.
 *
 * @param policy        the policy this install serves
 * @param phase         Installing, Ready, Failed, Removing, or Removed once an uninstall requested
 *                      by the operator is complete
 * @param version       the installed runtime's version
 * @param handlers      container runtime handlers registered on the node
 * @param profileHashes runtime class name to the hash of the profile written on the node
 * @param message       what happened last, in words an admin can act on
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeRuntimeStatus(
        String policy,
        Phase phase,
        String version,
        List<String> handlers,
        Map<String, String> profileHashes,
        String message) {

    public enum Phase { Installing, Ready, Failed, Removing, Removed }

    private static final ObjectMapper MAPPER = JsonMapper.builder().build();

    public String toJson() {
        try {
            return MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write node runtime status", e);
        }
    }

    /** Parses the annotation; throws when it is not a status so the caller can report the node. */
    public static NodeRuntimeStatus fromJson(String json) throws JsonProcessingException {
        return MAPPER.readValue(json, NodeRuntimeStatus.class);
    }
}
