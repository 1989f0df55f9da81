package dev.stockade.runtime.server;

import dev.stockade.runtime.host.LinuxHostView;

import dev.stockade.api.node.HostLayout;
import dev.stockade.runtime.spec.HostView;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One launcher's request to the spec server, as {@code bin/stockade-runtime} leaves it in the
 * server's directory under its own pid: {@code <pid>.args} (its arguments) and {@code <pid>.env}
 * (the variables the runtime reads, NAME=value), both NUL-terminated; it reads the answer from its
 * fd {@link HostLayout#SPEC_REQUEST_REPLY_FD}.
 */
record SpecRequest(String id, List<String> arguments, Map<String, String> environment) {

    static final String WORKING_DIRECTORY = "PWD";
    /** proc(5): the 1-based field of /proc/PID/stat that holds the start time, and USER_HZ. */
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    static SpecRequest read(Path directory, String id) throws IOException {
        if (!isId(id)) {
            throw new IOException("request id " + id + " is not a process id");
        }
        List<String> arguments = nulTerminated(directory.resolve(id + HostLayout.SPEC_REQUEST_ARGUMENTS));
        Map<String, String> environment = new HashMap<>();
        for (String entry : nulTerminated(directory.resolve(id + HostLayout.SPEC_REQUEST_ENVIRONMENT))) {
            int equals = entry.indexOf('=');
            if (equals > 0) {
                environment.put(entry.substring(0, equals), entry.substring(equals + 1));
            }
        }
        if (!environment.containsKey(WORKING_DIRECTORY) || !Path.of(environment.get(WORKING_DIRECTORY)).isAbsolute()) {
            throw new IOException("request " + id + " has no absolute PWD");
        }
        return new SpecRequest(id, arguments, environment);
    }

    /**
     * How long ago process {@code pid} started, from its {@code /proc/<pid>/stat} (field 22, in
     * clock ticks since boot; USER_HZ is 100 on every Linux architecture the runtime ships for) and
     * {@code /proc/uptime} (seconds since boot, the same clock); empty once it is gone.
     */
    static Optional<Duration> age(Path proc, String pid) {
        try {
            OptionalLong startTicks = LinuxHostView.startTicks(proc, pid);
            if (startTicks.isEmpty()) {
                return Optional.empty();
            }
            String uptime = Files.readString(proc.resolve("uptime"), StandardCharsets.US_ASCII);
            double now = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
            return Optional.of(Duration.ofMillis(Math.max(0, (long) (now * 1000) - startTicks.getAsLong() * 1000 / CLOCK_TICKS_PER_SECOND)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether process {@code pid} sees the same file systems as this server: its mount namespace is
     * {@code ours}, the server's own, read once at its start. Only then are the bundle, the engines'
     * files and runc's state it names the ones the server would check. False when it cannot be told.
     */
    static boolean inMountNamespace(HostView host, Path proc, String pid, Optional<HostView.Namespace> ours) {
        return ours.isPresent() && host.namespace(proc.resolve(pid).resolve("ns/mnt").toString()).equals(ours);
    }

    /** Launchers name their requests by their pid. */
    static boolean isId(String id) {
        return id.matches("[0-9]{1,10}");
    }

    Path workingDirectory() {
        return Path.of(environment.get(WORKING_DIRECTORY));
    }

    /** Removes the request's files once read (a launcher whose shell made a reply FIFO has removed it itself). */
    static void removeInputs(Path directory, String id) {
        for (String suffix : List.of(HostLayout.SPEC_REQUEST_ARGUMENTS, HostLayout.SPEC_REQUEST_ENVIRONMENT)) {
            try {
                Files.deleteIfExists(directory.resolve(id + suffix));
            } catch (IOException e) {
                // A leftover file is overwritten by the next launcher with this pid.
            }
        }
    }

    private static List<String> nulTerminated(Path file) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8);
        if (!content.isEmpty() && !content.endsWith("\0")) {
            throw new IOException(file + " is incomplete");
        }
        return content.isEmpty() ? List.of() : Arrays.asList(content.substring(0, content.length() - 1).split("\0", -1));
    }
}
