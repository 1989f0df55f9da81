package dev.stockade.runtime.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * runc's command line as far as the sandbox runtime needs to understand it: global flags, the
 * subcommand and the few subcommand options that name a spec (bundle, process file) or file
 * descriptors. Nothing is rewritten: the delegate receives the original arguments, so flags this
 * class does not know are passed on, not dropped. {@code subcommandIndex} is the subcommand's
 * position in {@code arguments} (their size when there is none); {@code root} is the global
 * {@code --root}, where the runtime keeps its containers' state (absent: the runtime's default).
 */
public record RuncCommandLine(
        List<String> arguments,
        Optional<String> subcommand,
        Optional<Path> logFile,
        String logFormat,
        Optional<Path> root,
        Optional<Path> bundle,
        Optional<Path> processFile,
        List<String> addedCapabilities,
        int preserveFds,
        Optional<String> containerId,
        int subcommandIndex,
        Optional<String> apparmor,
        Optional<String> processLabel) {

    /** runc's global flags that take a value (urfave/cli accepts -flag, --flag, --flag=value). */
    private static final Set<String> GLOBAL_VALUE_FLAGS = Set.of("log", "log-format", "root", "criu", "rootless");

    /** Value-taking options of the subcommands that carry a spec. */
    private static final Set<String> CREATE_VALUE_FLAGS = Set.of("bundle", "b", "console-socket", "pid-file", "preserve-fds");
    private static final Set<String> EXEC_VALUE_FLAGS = Set.of("console-socket", "cwd", "env", "e", "user", "u",
            "additional-gids", "g", "process", "p", "pid-file", "process-label", "apparmor", "cap", "c",
            "preserve-fds", "cgroup");

    /** Subcommands whose arguments carry a spec that the runtime must check. */
    public static final Set<String> SPEC_SUBCOMMANDS = Set.of("create", "run", "exec", "restore", "checkpoint");

    public static RuncCommandLine parse(List<String> arguments) {
        Optional<Path> logFile = Optional.empty();
        String logFormat = "text";
        Optional<Path> root = Optional.empty();
        int index = 0;
        while (index < arguments.size() && arguments.get(index).startsWith("-")) {
            Flag flag = Flag.of(arguments.get(index));
            String value = null;
            if (GLOBAL_VALUE_FLAGS.contains(flag.name())) {
                value = flag.inlineValue() != null ? flag.inlineValue()
                        : index + 1 < arguments.size() ? arguments.get(++index) : null;
            }
            if (flag.name().equals("log") && value != null && !value.isEmpty()) {
                logFile = Optional.of(Path.of(value));
            } else if (flag.name().equals("log-format") && value != null) {
                logFormat = value;
            } else if (flag.name().equals("root") && value != null && !value.isEmpty()) {
                root = Optional.of(Path.of(value));
            }
            index++;
        }
        if (index >= arguments.size()) {
            return new RuncCommandLine(List.copyOf(arguments), Optional.empty(), logFile, logFormat, root,
                    Optional.empty(), Optional.empty(), List.of(), 0, Optional.empty(), index, Optional.empty(), Optional.empty());
        }
        int subcommandIndex = index;
        String subcommand = arguments.get(index++);
        Set<String> valueFlags = subcommand.equals("exec") ? EXEC_VALUE_FLAGS
                : subcommand.equals("create") || subcommand.equals("run") || subcommand.equals("restore")
                ? CREATE_VALUE_FLAGS : Set.of();
        Optional<Path> bundle = Optional.empty();
        Optional<Path> processFile = Optional.empty();
        List<String> capabilities = new ArrayList<>();
        int preserveFds = 0;
        Optional<String> apparmor = Optional.empty();
        Optional<String> processLabel = Optional.empty();
        while (index < arguments.size() && arguments.get(index).startsWith("-") && !arguments.get(index).equals("-")) {
            if (arguments.get(index).equals("--")) {
                index++;
                break;
            }
            Flag flag = Flag.of(arguments.get(index));
            if (valueFlags.contains(flag.name())) {
                String value = flag.inlineValue() != null ? flag.inlineValue()
                        : index + 1 < arguments.size() ? arguments.get(++index) : "";
                switch (flag.name()) {
                    case "bundle", "b" -> bundle = Optional.of(Path.of(value));
                    case "process", "p" -> processFile = Optional.of(Path.of(value));
                    case "cap", "c" -> capabilities.add(value);
                    case "preserve-fds" -> preserveFds = parseCount(value);
                    case "apparmor" -> apparmor = Optional.of(value);
                    case "process-label" -> processLabel = Optional.of(value);
                    default -> { }
                }
            }
            index++;
        }
        Optional<String> containerId = index < arguments.size() ? Optional.of(arguments.get(index)) : Optional.empty();
        if (bundle.isEmpty() && valueFlags == CREATE_VALUE_FLAGS) {
            bundle = Optional.of(Path.of(""));
        }
        return new RuncCommandLine(List.copyOf(arguments), Optional.of(subcommand), logFile, logFormat, root, bundle,
                processFile, List.copyOf(capabilities), preserveFds, containerId, subcommandIndex, apparmor, processLabel);
    }

    private static int parseCount(String value) {
        try {
            return Math.max(0, Integer.parseInt(value));
        } catch (NumberFormatException e) {
            return 0; // runc itself rejects it
        }
    }

    /**
     * The same command line with its file paths resolved against {@code directory}: runc resolves
     * them against its working directory, which the resident spec server does not share.
     */
    public RuncCommandLine relativeTo(Path directory) {
        return new RuncCommandLine(arguments, subcommand, logFile.map(directory::resolve), logFormat, root.map(directory::resolve),
                bundle.map(directory::resolve), processFile.map(directory::resolve), addedCapabilities, preserveFds, containerId,
                subcommandIndex, apparmor, processLabel);
    }

    /** The spec file the subcommand carries: exec's --process file, else the bundle's config.json. */
    public Optional<Path> specFile() {
        if (subcommand.filter("exec"::equals).isPresent()) {
            return processFile;
        }
        return bundle.map(directory -> directory.resolve("config.json"));
    }

    public boolean carriesSpec() {
        return subcommand.isPresent() && SPEC_SUBCOMMANDS.contains(subcommand.get());
    }

    /** One option as urfave/cli reads it: -name, --name, either with =value. */
    record Flag(String name, String inlineValue) {
        static Flag of(String argument) {
            String stripped = argument.startsWith("--") ? argument.substring(2) : argument.substring(1);
            int equals = stripped.indexOf('=');
            return equals < 0 ? new Flag(stripped, null) : new Flag(stripped.substring(0, equals), stripped.substring(equals + 1));
        }
    }
}
