package dev.stockade.supervisor;

import dev.stockade.api.node.HostLayout;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
        assertEquals("/run/stockade/metrics/supervisor.sock", options.metricsSocket());
        // No TCP endpoint unless asked: in the host's network every pod that reaches the node could read it.
        assertNull(options.metricsAddress());
        assertEquals("runc", options.runtimePath());
    }

    /** The payload's shell launcher cannot import api's names: what it documents and starts must be what this parses. */
    @Test
    void theLauncherScriptDocumentsTheDefaultSocketAndStartsThisMain() throws Exception {
        String script = Files.readString(Path.of("src/main/payload", HostLayout.SUPERVISOR_LAUNCHER));
        Matcher socket = Pattern.compile("run \\[--socket (\\S+)]").matcher(script);
        assertTrue(socket.find(), script);
        assertEquals(HostLayout.SUPERVISOR_SOCKET, socket.group(1));
        assertTrue(SupervisorOptions.USAGE.contains("(default " + socket.group(1) + "); the handover socket is PATH.handover"),
                SupervisorOptions.USAGE);
        Matcher main = Pattern.compile("-cp \\S+ (\\S+) \"\\$@\"").matcher(script);
        assertTrue(main.find(), script);
        assertEquals(SupervisorMain.class.getName(), main.group(1));
    }

    @Test
    void flagsOverrideTheDefaults() {
        SupervisorOptions options = SupervisorOptions.parse(List.of("run", "--socket", "/tmp/s.sock", "--metrics", "127.0.0.1:9464",
                "--metrics-socket", "off", "--runtime", "/usr/bin/crun", "--max-containers", "10"));
        assertEquals("/tmp/s.sock", options.socketPath());
        assertEquals(9464, options.metricsAddress().getPort());
        assertNull(options.metricsSocket());
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
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SupervisorOptions.parse(List.of("run", "--metrics-socket", "m.sock")))
                .getMessage().contains("--metrics-socket m.sock must be an absolute path or off"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SupervisorOptions.parse(List.of("run", "--bogus", "1")))
                .getMessage().contains("unknown option --bogus"));
    }
}
