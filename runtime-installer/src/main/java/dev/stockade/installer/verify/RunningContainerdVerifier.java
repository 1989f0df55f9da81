package dev.stockade.installer.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.restart.CommandRestarter;
import dev.stockade.installer.runtime.Handler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Checks the containerd that is running, after {@link ContainerdDumpVerifier} proved that the
 * files hold the handlers: the daemon serving the runtime socket must have started after the
 * installer's config files were last changed (else it runs an older configuration, without the
 * handlers: the config was rewritten and never reloaded; {@link StaleRuntimeException}), and its CRI plugin must have loaded
 * ({@code ctr plugins ls}: a config the CRI plugin refuses leaves the node without pods). Where
 * the host has a crictl, the CRI's own list of runtime handlers ({@code crictl info}) must hold
 * each handler with its launcher: the strongest proof, since it is what the kubelet talks to.
 *
 * <p>The daemon is the process whose open socket is bound to the socket path ({@code
 * /proc/PID/net/unix} and {@code /proc/PID/fd}); its start is {@code /proc/PID/stat}'s starttime
 * (clock ticks since boot, USER_HZ = 100 on Linux), compared with the files' modification times
 * on the same boot clock ({@code /proc/uptime}).
 */
public final class RunningContainerdVerifier implements HandlerVerifier {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux architecture (times(2)). */
    private static final double TICKS_PER_SECOND = 100;

    private final HandlerVerifier before;
    private final HostRoot host;
    private final Path proc;
    private final String socket;
    private final List<String> configFiles;
    private final Optional<String> crictl;
    private final Duration timeout;

    /**
     * @param proc        the host's process table (the pod's /proc, with hostPID)
     * @param socket      host-absolute path of containerd's socket
     * @param configFiles host-absolute paths of the config files the installer writes
     * @param crictl      host path of a crictl to ask the CRI itself, when the host has one
     */
    public RunningContainerdVerifier(HandlerVerifier before, HostRoot host, Path proc, String socket, List<String> configFiles,
                                     Optional<String> crictl, Duration timeout) {
        this.before = before;
        this.host = host;
        this.proc = proc;
        this.socket = socket;
        this.configFiles = List.copyOf(configFiles);
        this.crictl = crictl;
        this.timeout = timeout;
    }

    @Override
    public void verify(List<Handler> handlers) throws InstallerException {
        before.verify(handlers);
        long pid = daemonServing().orElseThrow(() -> new InstallerException("no containerd process serves " + socket
                + ", so nothing runs the handlers " + handlers.stream().map(Handler::name).toList()
                + ". Start containerd, or point STOCKADE_RUNTIME_SOCKET at the socket it serves"));
        double started = startedSecondsSinceBoot(pid);
        double bootEpoch = bootEpochSeconds();
        for (String file : configFiles) {
            Path visible = host.resolve(file);
            if (!Files.exists(visible)) {
                continue;
            }
            double changed;
            try {
                changed = Files.getLastModifiedTime(visible).toMillis() / 1000.0 - bootEpoch;
            } catch (IOException e) {
                throw new InstallerException("cannot read the modification time of " + file + ": " + e.getMessage(), e);
            }
            // One tick of slack: the start time is truncated to a tick.
            if (changed > started + 1 / TICKS_PER_SECOND) {
                throw new StaleRuntimeException("containerd (pid " + pid + ", serving " + socket + ") started before " + file
                        + " was last changed, so it runs an older configuration without the handlers "
                        + handlers.stream().map(Handler::name).toList() + ". Restart containerd; check that STOCKADE_RESTART restarts the "
                        + "containerd that serves " + socket);
            }
        }
        checkCriPlugin();
        if (crictl.isPresent()) {
            checkCriRuntimes(crictl.get(), handlers);
        }
    }

    /**
     * The CRI's own answer: {@code crictl info} prints the configuration the running CRI plugin
     * loaded ({@code config.containerd.runtimes}); each handler must be there with its launcher.
     */
    private void checkCriRuntimes(String crictlPath, List<Handler> handlers) throws InstallerException {
        List<String> command = new ArrayList<>(inHostRoot());
        command.addAll(List.of(crictlPath, "--runtime-endpoint", "unix://" + socket, "--timeout", timeout.toSeconds() + "s", "info"));
        String output = CommandRestarter.runCommand(command, timeout, "asking the running containerd's CRI for its runtime handlers");
        // Its warnings (time="…" level=warning …) come on the same stream, before the JSON.
        int json = output.startsWith("{") ? 0 : output.indexOf("\n{") + 1;
        JsonNode runtimes;
        try {
            runtimes = JSON.readTree(output.substring(json)).path("config").path("containerd").path("runtimes");
        } catch (JsonProcessingException e) {
            throw new InstallerException(String.join(" ", command) + " did not print JSON: " + e.getOriginalMessage(), e);
        }
        for (Handler handler : handlers) {
            String binary = runtimes.path(handler.name()).path("options").path("BinaryName").asText();
            if (!handler.launcher().equals(binary)) {
                throw new InstallerException("the running containerd's CRI does not serve handler " + handler.name() + " with "
                        + handler.launcher() + " (crictl info lists the runtimes " + names(runtimes) + "), although its config files "
                        + "do. Restart containerd; check that STOCKADE_RESTART restarts the containerd that serves " + socket);
            }
        }
    }

    private static List<String> names(JsonNode runtimes) {
        List<String> names = new ArrayList<>();
        runtimes.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private List<String> inHostRoot() {
        return host.isSystemRoot() ? List.of() : List.of("chroot", host.path().toString());
    }

    @Override
    public String describe() {
        return before.describe() + ", then the running containerd on " + socket;
    }

    /** The CRI plugin of the running daemon loaded: {@code ctr plugins ls} lists it as ok. */
    private void checkCriPlugin() throws InstallerException {
        List<String> command = new ArrayList<>(inHostRoot());
        command.addAll(List.of("ctr", "--address", socket, "plugins", "ls"));
        String plugins = CommandRestarter.runCommand(command, timeout, "asking the running containerd for its plugins");
        for (String line : plugins.lines().toList()) {
            List<String> columns = List.of(line.strip().split("\\s+"));
            if (columns.size() >= 4 && columns.get(0).equals("io.containerd.grpc.v1") && columns.get(1).equals("cri")) {
                if (!columns.getLast().equals("ok")) {
                    throw new InstallerException("the running containerd's CRI plugin did not load (" + line.strip()
                            + "): no pod runs on this node. containerd's log says why; the installer's drop-in is "
                            + configFiles.getFirst());
                }
                return;
            }
        }
        throw new InstallerException("the running containerd on " + socket + " has no CRI plugin (ctr plugins ls), so the kubelet "
                + "cannot use the handlers; remove io.containerd.grpc.v1.cri from disabled_plugins");
    }

    /** The process that has a socket bound to {@link #socket} open, found through /proc. */
    private Optional<Long> daemonServing() throws InstallerException {
        try (Stream<Path> entries = Files.list(proc)) {
            for (Path process : entries.filter(p -> p.getFileName().toString().matches("[0-9]+")).sorted().toList()) {
                Set<String> inodes = socketInodes(process);
                if (!inodes.isEmpty() && holdsAny(process, inodes)) {
                    return Optional.of(Long.parseLong(process.getFileName().toString()));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new InstallerException("cannot list " + proc + " to find the containerd serving " + socket + ": " + e.getMessage(), e);
        }
    }

    /** Inodes of sockets bound to the path, in the process's network namespace; empty for processes that are not containerd. */
    private Set<String> socketInodes(Path process) {
        Set<String> inodes = new HashSet<>();
        try {
            String comm = Files.readString(process.resolve("comm"), StandardCharsets.UTF_8).strip();
            if (!comm.startsWith("containerd") || comm.startsWith("containerd-shim")) {
                return inodes;
            }
            // Num RefCount Protocol Flags Type St Inode Path
            for (String line : Files.readAllLines(process.resolve("net/unix"), StandardCharsets.UTF_8)) {
                String[] columns = line.strip().split("\\s+");
                if (columns.length >= 8 && columns[7].equals(socket)) {
                    inodes.add(columns[6]);
                }
            }
        } catch (IOException e) {
            // Gone, or not ours to read: not the daemon.
        }
        return inodes;
    }

    private static boolean holdsAny(Path process, Set<String> inodes) {
        try (Stream<Path> fds = Files.list(process.resolve("fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1))) {
                        return true;
                    }
                } catch (IOException e) {
                    // Closed since the listing.
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private double startedSecondsSinceBoot(long pid) throws InstallerException {
        Path stat = proc.resolve(Long.toString(pid)).resolve("stat");
        try {
            String text = Files.readString(stat, StandardCharsets.UTF_8);
            // Fields after the command name in parentheses (which may hold spaces); starttime is field 22.
            String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[22 - 3]) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            throw new InstallerException("cannot read the start time of containerd (pid " + pid + ") from " + stat + ": " + e.getMessage(), e);
        }
    }

    /** When this boot began, in seconds since the epoch, from the boot clock ({@code /proc/uptime}) and the wall clock. */
    private double bootEpochSeconds() throws InstallerException {
        Path uptime = proc.resolve("uptime");
        try {
            double now = System.currentTimeMillis() / 1000.0;
            return now - Double.parseDouble(Files.readString(uptime, StandardCharsets.UTF_8).strip().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            throw new InstallerException("cannot read " + uptime + ": " + e.getMessage(), e);
        }
    }
}
