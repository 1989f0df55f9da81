package dev.stockade.runtime.json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stockade.runtime.spec.Specs;
import org.junit.jupiter.api.Test;

import java.io.IOException;

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

    @Test
    void brokenOrTrailingJsonIsAnError() {
        assertThrows(IOException.class, () -> JsonTrees.read("{\"a\":"));
        assertThrows(IOException.class, () -> JsonTrees.read("{} {}"));
        assertThrows(IOException.class, () -> JsonTrees.read(""));
    }
}
