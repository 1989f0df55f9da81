package dev.stockade.runtime;

import dev.stockade.api.node.HostLayout;
import dev.stockade.api.node.LauncherEnvironment;
import dev.stockade.api.node.NodeMetrics;
import dev.stockade.runtime.server.SpecServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The payload's shell launchers cannot import api's names, so they repeat them: each literal they
 * use must be the constant the Java side uses, or a change on one side fails here instead of on a
 * node (a launcher asking a spec server where none serves, or a variable the runtime never sees).
 */
class LauncherScriptsTest {

    private static final Path RUNTIME_LAUNCHER = Path.of("src/main/payload", HostLayout.RUNTIME_LAUNCHER);
    private static final Path SPEC_SERVER_LAUNCHER = Path.of("src/main/payload", HostLayout.SPEC_SERVER_LAUNCHER);

    private static String read(Path script) throws IOException {
        assertTrue(Files.isRegularFile(script), script.toAbsolutePath() + " is where the payload's build takes it from");
        return Files.readString(script);
    }

    /** Every match of {@code pattern}'s first group, in order. */
    private static List<String> all(String text, String pattern) {
        List<String> found = new ArrayList<>();
        Matcher matcher = Pattern.compile(pattern).matcher(text);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return found;
    }

    private static Set<String> launcherVariables() throws IllegalAccessException {
        Set<String> names = new TreeSet<>();
        for (Field field : LauncherEnvironment.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                names.add((String) field.get(null));
            }
        }
        return names;
    }

    @Test
    void theRuntimeLauncherAsksTheSpecServerWhereItServes() throws Exception {
        String script = read(RUNTIME_LAUNCHER);
        assertEquals(List.of(LauncherEnvironment.SPEC_SERVER + ":-" + HostLayout.SPEC_SERVER_DIR), all(script, "server=\\$\\{([^}]*)}"),
                "the spec server's directory, and the variable that moves it");
        assertEquals(Set.of(HostLayout.SPEC_SERVER_REQUESTS, HostLayout.SPEC_SERVER_PID), new TreeSet<>(all(script, "\\$server/([A-Za-z.]+)")),
                "the request FIFO and the pid file in it");
        assertEquals(List.of("request=$server/$$"), all(script, "(request=\\S+)"), "a request is named by the launcher's pid");
        assertEquals(Set.of(HostLayout.SPEC_REQUEST_ARGUMENTS, HostLayout.SPEC_REQUEST_ENVIRONMENT, HostLayout.SPEC_REQUEST_REPLY),
                new TreeSet<>(all(script, "\\$request(\\.[a-z]+)")), "the request's files beside its pid");
        assertEquals(List.of(Long.toString(SpecServer.LAUNCHER_TIMEOUT.toSeconds())), all(script, "\\bsleep ([0-9]+) "),
                "the watchdog whose end is the launcher's end of waiting");
        assertTrue(SpecServer.ANSWER_DEADLINE.compareTo(SpecServer.LAUNCHER_TIMEOUT.dividedBy(2)) <= 0,
                "the server's own \"check it yourself\" reaches the launcher well before it gives up");
        String fd = Integer.toString(HostLayout.SPEC_REQUEST_REPLY_FD);
        assertEquals(Set.of(fd), new TreeSet<>(all(script, "/proc/self/fd/([0-9]+)")), "the reply pipe is where the server opens it");
        assertEquals(List.of(fd), all(script, "} ([0-9])<<EOF"), "the here-document that makes the reply pipe");
        assertEquals(List.of(fd), all(script, "fi <&([0-9])"), "the answer is read from the reply pipe");
    }

    @Test
    void theRuntimeLauncherHandsTheSpecServerEveryVariableTheRuntimeReads() throws Exception {
        List<String> loop = all(read(RUNTIME_LAUNCHER), "for name in ([A-Z_ ]+); do");
        assertEquals(1, loop.size(), "one loop copies the environment into a request: " + loop);
        List<String> handed = new ArrayList<>(Arrays.asList(loop.getFirst().strip().split(" +")));
        assertTrue(handed.remove("PATH"), "PATH, for the delegate runtime's helpers: " + handed);
        assertEquals(new TreeSet<>(LauncherEnvironment.SPEC_SERVER_REQUEST), new TreeSet<>(handed));
    }

    @Test
    void theRuntimeLauncherNamesOnlyVariablesTheJavaSideKnowsAndEveryOneOfThem() throws Exception {
        String script = read(RUNTIME_LAUNCHER);
        Set<String> known = launcherVariables();
        known.addAll(List.of(SandboxRuntime.ERROR_FD_VARIABLE, SandboxRuntime.OUTPUT_FD_VARIABLE));
        assertEquals(known, new TreeSet<>(all(script, "\\b(STOCKADE_[A-Z_]+)")),
                "the variables of api's LauncherEnvironment and the two fds the launcher gives its JVM");
        assertEquals(List.of(LauncherEnvironment.DELEGATE + ":-runc"), all(script, "delegate=\\$\\{([^}]*)}"));
        assertEquals(List.of(LauncherEnvironment.DELEGATE + "=$delegate " + SandboxRuntime.ERROR_FD_VARIABLE + "=9 "
                + SandboxRuntime.OUTPUT_FD_VARIABLE + "=8"), all(script, "(STOCKADE_DELEGATE=\\$delegate STOCKADE_\\S+ STOCKADE_\\S+)"),
                "the JVM's delegate and where it writes to the caller's stderr and stdout");
        assertEquals(List.of(SandboxRuntime.class.getName()), all(script, "-cp \"@CLASSPATH@\" (\\S+)"));
    }

    @Test
    void theSpecServerLauncherStartsTheServerItsUsageDescribes() throws Exception {
        String script = read(SPEC_SERVER_LAUNCHER);
        assertEquals(List.of(HostLayout.SPEC_SERVER_DIR), all(script, "\\[--dir (\\S+)]"), "the default directory it documents");
        assertEquals(List.of(NodeMetrics.SPEC_SERVER_SOCKET + "|off"), all(script, "\\[--metrics-socket (\\S+)]"));
        assertEquals(List.of(SpecServer.class.getName()), all(script, "-cp \"@CLASSPATH@\" (\\S+)"));
    }
}
