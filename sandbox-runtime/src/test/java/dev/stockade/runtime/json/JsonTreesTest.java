package dev.stockade.runtime.json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stockade.runtime.spec.Specs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonTreesTest {

    @Test
    void aCriSpecSurvivesARoundTripUnchanged() throws Exception {
        JsonNode spec = Specs.app();
        JsonNode again = JsonTrees.read(new String(JsonTrees.write(spec), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(spec, Specs.JSON.readTree(JsonTrees.write(again)));
    }

    @Test
    void unsigned64BitSeccompArgumentsAndDecimalsKeepTheirExactValue() throws Exception {
        String json = "{\"value\":18446744073709551615,\"small\":-1,\"long\":4294967296,\"ratio\":0.1,\"ok\":true,\"none\":null}";
        assertEquals(json, new String(JsonTrees.write(JsonTrees.read(json)), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A 20-million-character string ran the resident spec server out of heap: such a file is refused unparsed, naming the limit. */
    @Test
    void aFileOverFourMebibytesIsRefusedBeforeItIsParsed(@TempDir Path dir) throws Exception {
        Path huge = Files.writeString(dir.resolve("config.json"), "{\"env\":[\"HUGE=" + "x".repeat(20_000_000) + "\"]}");
        IOException refusal = assertThrows(IOException.class, () -> JsonTrees.read(huge));
        assertEquals("it is 20000017 bytes, more than the 4194304 bytes (4 MiB) the sandbox runtime reads; make the container's environment, "
                + "arguments or annotations smaller (envFrom and service links add to its environment)", refusal.getMessage());
    }

    @Test
    void aFileOfExactlyTheLimitIsRead(@TempDir Path dir) throws Exception {
        String text = "x".repeat(JsonTrees.MAX_FILE_BYTES - "{\"a\":\"\"}".length());
        Path file = Files.writeString(dir.resolve("config.json"), "{\"a\":\"" + text + "\"}");
        assertEquals(JsonTrees.MAX_FILE_BYTES, Files.size(file));
        assertEquals(text, JsonTrees.read(file).get("a").asText());
    }

    @Test
    void brokenOrTrailingJsonIsAnError() {
        assertThrows(IOException.class, () -> JsonTrees.read("{\"a\":"));
        assertThrows(IOException.class, () -> JsonTrees.read("{} {}"));
        assertThrows(IOException.class, () -> JsonTrees.read(""));
    }
}
