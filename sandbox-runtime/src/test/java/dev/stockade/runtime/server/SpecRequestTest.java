package dev.stockade.runtime.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SpecRequestTest {

    @TempDir
    Path directory;

    @Test
    void argumentsAndEnvironmentAsTheLauncherWritesThem() throws IOException {
        Files.writeString(directory.resolve("42.args"), "--log\0/run/x/log.json\0create\0--bundle\0with space\0\0id\0");
        Files.writeString(directory.resolve("42.env"), "PWD=/run/x\0STOCKADE_PROFILE=/etc/stockade/profiles/a=b.json\0STOCKADE_RUNTIME_LOG=\0");
        SpecRequest request = SpecRequest.read(directory, "42");
        assertEquals(List.of("--log", "/run/x/log.json", "create", "--bundle", "with space", "", "id"), request.arguments());
        assertEquals("/etc/stockade/profiles/a=b.json", request.environment().get("STOCKADE_PROFILE"));
        assertEquals("", request.environment().get("STOCKADE_RUNTIME_LOG"), "set but empty stays set");
        assertEquals(Path.of("/run/x"), request.workingDirectory());

        SpecRequest.removeInputs(directory, "42");
        assertFalse(Files.exists(directory.resolve("42.args")) || Files.exists(directory.resolve("42.env")));
    }

    @Test
    void anIncompleteOrForeignRequestIsNotServed() throws IOException {
        Files.writeString(directory.resolve("7.args"), "create\0--bundle\0/b");
        Files.writeString(directory.resolve("7.env"), "PWD=/\0");
        assertThrows(IOException.class, () -> SpecRequest.read(directory, "7"), "a file still being written");

        Files.writeString(directory.resolve("8.args"), "create\0");
        Files.writeString(directory.resolve("8.env"), "STOCKADE_PROFILE=/p.json\0");
        assertThrows(IOException.class, () -> SpecRequest.read(directory, "8"), "no working directory to resolve paths against");

        assertThrows(IOException.class, () -> SpecRequest.read(directory, "../etc/passwd"));
    }
}
