package dev.stockade.supervisor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SupervisorOptionsTest {

    @Test
    void defaultsAreTheContractPaths() {
        SupervisorOptions options = SupervisorOptions.parse(List.of("run"));
        assertEquals("/run/stockade/supervisor.sock", options.socketPath());
        assertEquals("/run/stockade/supervisor.sock.handover", options.handoverPath());
        assertEquals(9464, options.metricsAddress().getPort());
        assertEquals("runc", options.runtimePath());
    }

    @Test
    void flagsOverrideTheDefaults() {
        SupervisorOptions options = SupervisorOptions.parse(List.of("run", "--socket", "/tmp/s.sock", "--metrics", "off",
                "--runtime", "/usr/bin/crun", "--max-containers", "10"));
        assertEquals("/tmp/s.sock", options.socketPath());
        assertNull(options.metricsAddress());
        assertEquals("/usr/bin/crun", options.runtimePath());
        assertEquals(10, options.maxContainers());
    }

    @Test
    void badArgumentsSayWhatToDo() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SupervisorOptions.parse(List.of("serve")))
                .getMessage().contains("run or check"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SupervisorOptions.parse(List.of("run", "--socket", "rel.sock")))
                .getMessage().contains("absolute path"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SupervisorOptions.parse(List.of("run", "--metrics", "9464")))
                .getMessage().contains("HOST:PORT"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SupervisorOptions.parse(List.of("run", "--bogus", "1")))
                .getMessage().contains("unknown option --bogus"));
    }
}
