package dev.stockade.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.runtime.cli.RuncCommandLine;
import dev.stockade.runtime.host.LinuxHostView;
import dev.stockade.runtime.host.NativeProcess;
import dev.stockade.runtime.host.RuncLog;
import dev.stockade.runtime.spec.HostView;
import dev.stockade.runtime.spec.Refusal;
import dev.stockade.runtime.spec.SpecHardener;
import dev.stockade.runtime.spec.SpecValidator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One invocation of the runtime: checks and hardens the spec that create, run or exec carries,
 * then becomes the delegate runtime with the original arguments. Anything that goes wrong before
 * the delegate runs refuses the container (fail closed) with a runc-format error.
 */
public final class SandboxRuntime {

    public static final String PROFILE_VARIABLE = "STOCKADE_PROFILE";
    public static final String DELEGATE_VARIABLE = "STOCKADE_DELEGATE";
    public static final String LOG_VARIABLE = "STOCKADE_RUNTIME_LOG";

    static final ObjectMapper JSON = JsonMapper.builder().build();

    private final Map<String, String> environment;
    private final HostView host;
    private final RuntimeLog runtimeLog;

    SandboxRuntime(Map<String, String> environment, HostView host) {
        this.environment = environment;
        this.host = host;
        this.runtimeLog = new RuntimeLog(environment.get(LOG_VARIABLE));
    }

    public static void main(String[] args) {
        System.exit(new SandboxRuntime(System.getenv(), new LinuxHostView()).run(List.of(args)));
    }

    int run(List<String> args) {
        RuncCommandLine command = RuncCommandLine.parse(args);
        RuncLog runcLog = new RuncLog(command.logFile(), command.logFormat(), System.err);
        try {
            Path delegate = DelegateRuntime.resolve(environment.get(DELEGATE_VARIABLE), environment.get("PATH"));
            if (command.carriesSpec()) {
                prepare(command);
            }
            List<String> argv = new ArrayList<>();
            argv.add(delegate.toString());
            argv.addAll(args);
            IOException failure = NativeProcess.exec(delegate, argv, environment, passedFds(command));
            runcLog.error("stockade: cannot run the delegate runtime " + delegate + ": " + failure.getMessage());
            return 1;
        } catch (Refusal refusal) {
            String message = "stockade: container " + command.containerId().orElse("?") + " refused: " + refusal.getMessage();
            runtimeLog.write(message);
            runcLog.error(message);
            return 1;
        }
    }

    /** Validates and hardens the spec the subcommand carries, writing it back beside and renaming. */
    void prepare(RuncCommandLine command) throws Refusal {
        String subcommand = command.subcommand().orElseThrow();
        if (subcommand.equals("checkpoint") || subcommand.equals("restore")) {
            throw new Refusal("subcommand " + subcommand, "unsupported",
                    "checkpoint and restore are not supported: a restored container would bypass the sandbox profile");
        }
        LoadedProfile loaded = loadProfile();
        if (loaded.profile().mode() == SandboxProfile.Mode.Passthrough) {
            runtimeLog.write(subcommand + " " + command.containerId().orElse("?") + ": passthrough profile " + loaded.name());
            return;
        }
        SpecValidator validator = new SpecValidator(loaded.profile(), loaded.name(), host);
        SpecHardener hardener = new SpecHardener(loaded.profile(), validator, loaded.name(), System.getProperty("os.arch"));
        if (subcommand.equals("exec")) {
            if (command.processFile().isEmpty()) {
                validator.validateProcess(null, command.addedCapabilities());
                return;
            }
            Path processFile = command.processFile().get();
            ObjectNode process = readObject(processFile, "exec --process file");
            validator.validateProcess(process, command.addedCapabilities());
            hardener.hardenProcess(process);
            writeBesideAndRename(processFile, process);
        } else {
            Path config = command.bundle().orElseThrow().resolve("config.json");
            ObjectNode spec = readObject(config, "bundle config");
            validator.validate(spec);
            hardener.harden(spec, host);
            writeBesideAndRename(config, spec);
        }
        runtimeLog.write(subcommand + " " + command.containerId().orElse("?") + ": hardened with profile " + loaded.name());
    }

    record LoadedProfile(SandboxProfile profile, String name) {
    }

    LoadedProfile loadProfile() throws Refusal {
        String location = environment.get(PROFILE_VARIABLE);
        if (location == null || location.isBlank()) {
            throw new Refusal(PROFILE_VARIABLE, "profile",
                    "is not set; the handler launcher must set it to the runtime class's profile (/etc/stockade/profiles/<class>.json)");
        }
        Path file = Path.of(location);
        String name = file.getFileName().toString().replaceFirst("\\.json$", "");
        try {
            return new LoadedProfile(Profiles.parse(Files.readString(file)), name);
        } catch (IOException e) {
            throw new Refusal(PROFILE_VARIABLE, "profile",
                    "cannot read sandbox profile " + file + " (" + e + "); reinstall the runtime class or fix the file");
        }
    }

    private static ObjectNode readObject(Path file, String what) throws Refusal {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node instanceof ObjectNode object) {
                return object;
            }
            throw new Refusal(what + " " + file, "spec", "is not a JSON object");
        } catch (IOException e) {
            throw new Refusal(what + " " + file, "spec", "cannot be read: " + e.getMessage());
        }
    }

    private static void writeBesideAndRename(Path file, ObjectNode content) throws Refusal {
        Path beside = file.resolveSibling(file.getFileName() + ".stockade-" + ProcessHandle.current().pid());
        try {
            Files.write(beside, JSON.writeValueAsBytes(content));
            Files.setPosixFilePermissions(beside, Files.getPosixFilePermissions(file));
            Files.move(beside, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UnsupportedOperationException e) {
            try {
                Files.deleteIfExists(beside);
            } catch (IOException ignored) {
                // The refusal below is what matters.
            }
            throw new Refusal(file.toString(), "spec", "cannot write the hardened spec: " + e.getMessage());
        }
    }

    /** Descriptors from 3 on that runc passes to the container: --preserve-fds and socket activation. */
    int passedFds(RuncCommandLine command) {
        int listenFds = 0;
        if (Long.toString(ProcessHandle.current().pid()).equals(environment.get("LISTEN_PID"))) {
            try {
                listenFds = Integer.parseInt(environment.getOrDefault("LISTEN_FDS", "0"));
            } catch (NumberFormatException e) {
                listenFds = 0;
            }
        }
        return Math.max(command.preserveFds(), listenFds);
    }

}
