package dev.stockade.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.Stockade;
import dev.stockade.api.node.EngineDirectories;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.node.LauncherEnvironment;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.runtime.cli.RuncCommandLine;
import dev.stockade.runtime.cli.RuncUpdate;
import dev.stockade.runtime.host.LinuxHostView;
import dev.stockade.runtime.json.JsonTrees;
import dev.stockade.runtime.host.RuncLog;
import dev.stockade.runtime.spec.HostView;
import dev.stockade.runtime.spec.RuntimeState;
import dev.stockade.runtime.spec.Refusal;
import dev.stockade.runtime.spec.ResourceUpdate;
import dev.stockade.runtime.spec.SpecHardener;
import dev.stockade.runtime.spec.SpecValidator;
import dev.stockade.runtime.spec.SupervisorListener;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The JVM half of one invocation: checks and hardens, in place, the spec that create, run or exec
 * carries. Exit 0 tells the launcher (bin/stockade-runtime) to exec the delegate runtime with the
 * original arguments; exit 1 is a refusal, already written in runc's format to the --log file and
 * to the caller's stderr (fd STOCKADE_ERROR_FD). Anything unexpected refuses too (fail closed).
 * update is the exception: it is checked and run here ({@link #update}).
 */
public final class SandboxRuntime {

    public static final String PROFILE_VARIABLE = LauncherEnvironment.PROFILE;
    public static final String DELEGATE_VARIABLE = LauncherEnvironment.DELEGATE;
    public static final String LOG_VARIABLE = LauncherEnvironment.RUNTIME_LOG;
    /** Set by the launcher: the fd of the caller's stderr (the JVM's own stdio is /dev/null). */
    public static final String ERROR_FD_VARIABLE = "STOCKADE_ERROR_FD";
    /** Set by the launcher for update, which this JVM runs itself: the fd of the caller's stdout. */
    public static final String OUTPUT_FD_VARIABLE = "STOCKADE_OUTPUT_FD";
    static final String UPDATE = "update";

    private final Map<String, String> environment;
    private final HostView host;
    private final RuntimeLog runtimeLog;
    private final BooleanSupplier mayWrite;

    public SandboxRuntime(Map<String, String> environment, HostView host) {
        this(environment, host, () -> true);
    }

    /**
     * {@code mayWrite} is asked once, just before the hardened spec replaces the bundle's (the
     * rename): false leaves the bundle as it was and refuses. The spec server answers a launcher
     * "check it yourself" once its deadline has passed, and then its own check must not write a spec
     * that the launcher's JVM is checking too.
     */
    public SandboxRuntime(Map<String, String> environment, HostView host, BooleanSupplier mayWrite) {
        this.environment = environment;
        this.host = host;
        this.runtimeLog = new RuntimeLog(environment.get(LOG_VARIABLE));
        this.mayWrite = mayWrite;
    }

    public static void main(String[] args) {
        Map<String, String> environment = System.getenv();
        SandboxRuntime runtime = new SandboxRuntime(environment, new LinuxHostView());
        PrintStream stderr = callerStderr(environment.get(ERROR_FD_VARIABLE));
        RuncCommandLine command = RuncCommandLine.parse(List.of(args));
        int status = command.subcommand().filter(UPDATE::equals).isPresent()
                ? runtime.update(command, System.in, callerStream(environment.get(OUTPUT_FD_VARIABLE)),
                callerStream(environment.get(ERROR_FD_VARIABLE)), stderr)
                : runtime.run(command, stderr);
        stderr.flush();
        // halt, not exit: System.exit starts the platform logging machinery, measurable on every create.
        Runtime.getRuntime().halt(status);
    }

    public int run(List<String> args, PrintStream stderr) {
        return run(RuncCommandLine.parse(args), stderr);
    }

    public int run(RuncCommandLine command, PrintStream stderr) {
        RuncLog runcLog = new RuncLog(command.logFile(), command.logFormat(), stderr);
        try {
            Path delegate = DelegateRuntime.resolve(environment.get(DELEGATE_VARIABLE), environment.get("PATH"));
            if (command.carriesSpec()) {
                prepare(command, delegate);
            } else if (command.subcommand().filter(UPDATE::equals).isPresent()) {
                // Only update(), which runs the delegate itself with what it checked, may let one through.
                throw new Refusal("subcommand update", "update", "is checked only by the launcher's own JVM; this checker cannot run it");
            }
            return 0;
        } catch (Refusal refusal) {
            return refused(runcLog, "container " + command.containerId().orElse("?"), refusal.getMessage());
        } catch (RuntimeException e) {
            return refused(runcLog, "container " + command.containerId().orElse("?"), "internal error " + e);
        }
    }

    /** Writes "stockade: WHAT refused: WHY" to the runtime log, the --log file and the caller's stderr; returns runc's 1. */
    private int refused(RuncLog runcLog, String what, String why) {
        String message = "stockade: " + what + " refused: " + why;
        runtimeLog.write(message);
        runcLog.error(message);
        return 1;
    }

    /**
     * {@code runc update}: new limits for a running container, checked by {@link ResourceUpdate} and
     * then run by this JVM itself. The delegate gets the checked options and, on its standard input,
     * the checked resources (never the caller's file or stream, which could change after the check),
     * and writes to the caller's {@code output} and {@code error}. Returns the delegate's exit status,
     * or 1 after a refusal, which goes to {@code stderr} and the --log file as on create.
     */
    public int update(RuncCommandLine command, InputStream stdin, ProcessBuilder.Redirect output, ProcessBuilder.Redirect error,
                      PrintStream stderr) {
        RuncLog runcLog = new RuncLog(command.logFile(), command.logFormat(), stderr);
        RuncUpdate update = RuncUpdate.parse(command);
        String id = update.operands().isEmpty() ? "?" : update.operands().getFirst();
        List<String> arguments = new ArrayList<>();
        byte[] input = null;
        try {
            Path delegate = DelegateRuntime.resolve(environment.get(DELEGATE_VARIABLE), environment.get("PATH"));
            arguments.add(delegate.toString());
            LoadedProfile loaded = loadProfile();
            boolean help = update.options().stream().anyMatch(o -> o.name().equals("h") || o.name().equals("help"));
            if (loaded.profile().mode() == SandboxProfile.Mode.Passthrough || help) {
                // runc prints its help and changes nothing.
                arguments.addAll(command.arguments());
                runtimeLog.write("update " + id + ": " + (help ? "help" : "passthrough profile " + loaded.name()));
            } else {
                if (update.operands().size() != 1) {
                    throw new Refusal("update", "update", "takes exactly one container id, not " + update.operands());
                }
                Optional<JsonNode> resources = update.resources().isEmpty() ? Optional.empty() : Optional.of(readResources(update.resources().get(), stdin));
                ResourceUpdate.Checked checked = new ResourceUpdate(loaded.profile(), loaded.name(), validator(loaded, delegate))
                        .check(update.options(), resources);
                arguments.addAll(update.globalArguments());
                arguments.add(UPDATE);
                arguments.addAll(ResourceUpdate.arguments(checked.options()));
                if (checked.resources().isPresent()) {
                    arguments.addAll(List.of("--resources", "-"));
                    input = JsonTrees.write(checked.resources().get());
                }
                arguments.add(id);
                runtimeLog.write("update " + id + ": checked with profile " + loaded.name()
                        + (checked.clamped().isEmpty() ? "" : "; clamped " + String.join(", ", checked.clamped())));
            }
        } catch (Refusal refusal) {
            return refused(runcLog, "update of container " + id, refusal.getMessage());
        } catch (IOException | RuntimeException e) {
            return refused(runcLog, "update of container " + id, "internal error " + e);
        }
        return DelegateRuntime.run(arguments, input, output, error, runcLog);
    }

    /** The --resources object: from standard input for "-", else from the file; at most {@link JsonTrees#MAX_FILE_BYTES}. */
    private static JsonNode readResources(String location, InputStream stdin) throws Refusal {
        try {
            if (!location.equals("-")) {
                return JsonTrees.read(Path.of(location));
            }
            byte[] content = stdin.readNBytes(JsonTrees.MAX_FILE_BYTES + 1);
            if (content.length > JsonTrees.MAX_FILE_BYTES) {
                throw new IOException("it is more than the " + JsonTrees.MAX_FILE_BYTES + " bytes (4 MiB) the sandbox runtime reads");
            }
            return JsonTrees.read(new ByteArrayInputStream(content));
        } catch (IOException e) {
            throw new Refusal("update --resources " + location, "update", "cannot be read: " + e.getMessage());
        }
    }

    /** Where the delegate's stream goes: the caller's, through the launcher's fd, else this JVM's own. */
    private static ProcessBuilder.Redirect callerStream(String fd) {
        return fd != null && fd.matches("[0-9]+") ? ProcessBuilder.Redirect.appendTo(new File("/proc/self/fd/" + fd))
                : ProcessBuilder.Redirect.INHERIT;
    }

    private static PrintStream callerStderr(String fd) {
        if (fd != null && fd.matches("[0-9]+")) {
            try {
                // Appending: the caller's stderr may be a file with its earlier output, which must not be cut.
                return new PrintStream(new FileOutputStream("/proc/self/fd/" + fd, true), true, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return System.err;
            }
        }
        return System.err;
    }

    /** Validates and hardens the spec the subcommand carries, writing it back beside and renaming. */
    void prepare(RuncCommandLine command, Path delegate) throws Refusal {
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
        SpecValidator validator = validator(loaded, delegate);
        SpecHardener hardener = new SpecHardener(loaded.profile(), validator, loaded.name(), System.getProperty("os.arch"));
        if (subcommand.equals("exec")) {
            validator.validateExecLabels(command.apparmor(), command.processLabel());
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
            String id = command.containerId().orElseThrow(() -> new Refusal("container id", "spec",
                    "is missing from the " + subcommand + " command line; the runtime cannot tell whose engine files the container may mount"));
            hardener.harden(spec, validator.validate(spec, command.bundle().orElseThrow(), id, RuntimeState.of(delegate.toString(), command.root())));
            SupervisorListener.attach(spec, loaded.profile(), loaded.name(), environment.get(LauncherEnvironment.POLICY),
                    environment.getOrDefault(LauncherEnvironment.SUPERVISOR_SOCKET, HostLayout.SUPERVISOR_SOCKET),
                    SupervisorListener::answers);
            writeBesideAndRename(config, spec);
        }
        runtimeLog.write(subcommand + " " + command.containerId().orElse("?") + ": hardened with profile " + loaded.name());
    }

    /** The checks of {@code loaded}'s profile as this handler's launcher configures them. */
    private SpecValidator validator(LoadedProfile loaded, Path delegate) throws Refusal {
        return new SpecValidator(loaded.profile(), loaded.name(), host, kubeletRoot(), engineDirectories(), delegate.toString());
    }

    /** The kubelet's root directory the handler's launcher names, else the usual one; refused when malformed. */
    private String kubeletRoot() throws Refusal {
        String root = environment.getOrDefault(LauncherEnvironment.KUBELET_ROOT, InstallerEnvironment.DEFAULT_KUBELET_ROOT);
        if (root.isBlank()) {
            return InstallerEnvironment.DEFAULT_KUBELET_ROOT;
        }
        if (!Stockade.isKubeletRoot(root)) {
            throw new Refusal(LauncherEnvironment.KUBELET_ROOT, "kubelet-root",
                    "'" + root + "' is not a normalized absolute path; fix the policy's spec.installer.kubeletRootDir");
        }
        return root;
    }

    /** The engine directories the handler's launcher names, else the engines' usual ones; refused when malformed. */
    private EngineDirectories engineDirectories() throws Refusal {
        String text = environment.get(LauncherEnvironment.ENGINE_DIRECTORIES);
        if (text == null || text.isBlank()) {
            return EngineDirectories.DEFAULTS;
        }
        try {
            return EngineDirectories.parse(text);
        } catch (IllegalArgumentException e) {
            throw new Refusal(LauncherEnvironment.ENGINE_DIRECTORIES, "engine-directories",
                    e.getMessage() + "; the handler's launcher is not one the installer wrote: reinstall the handler");
        }
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
            return new LoadedProfile(ProfileReader.read(JsonTrees.read(file)), name);
        } catch (IOException | IllegalArgumentException e) {
            throw new Refusal(PROFILE_VARIABLE, "profile",
                    "cannot read sandbox profile " + file + " (" + e.getMessage() + "); reinstall the runtime class or fix the file");
        }
    }

    private static ObjectNode readObject(Path file, String what) throws Refusal {
        try {
            JsonNode node = JsonTrees.read(file);
            if (node instanceof ObjectNode object) {
                return object;
            }
            throw new Refusal(what + " " + file, "spec", "is not a JSON object");
        } catch (IOException e) {
            throw new Refusal(what + " " + file, "spec", "cannot be read: " + e.getMessage());
        }
    }

    private void writeBesideAndRename(Path file, ObjectNode content) throws Refusal {
        Path beside = file.resolveSibling(file.getFileName() + ".stockade-" + Long.toHexString(System.nanoTime()));
        try {
            Files.write(beside, JsonTrees.write(content));
            Files.setPosixFilePermissions(beside, Files.getPosixFilePermissions(file));
            if (!mayWrite.getAsBoolean()) {
                throw new IOException("the check ran past its deadline, and the launcher checks the spec itself");
            }
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
}
