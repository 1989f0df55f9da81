package dev.stockade.runtime.spec;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the delegate runtime keeps the state of the containers it runs, and in which format. runc
 * writes {@code <root>/<id>/state.json} with {@code init_process_pid} and
 * {@code init_process_start} (libcontainer's State); crun writes {@code <root>/<id>/status} with
 * {@code pid} and {@code process-start-time} (libcrun status.c). The start time is field 22 of
 * /proc/&lt;pid&gt;/stat (proc(5)), in clock ticks since boot: with the pid it names one process
 * for good, since the kernel may give a pid to another process once the first has exited.
 *
 * @param format which runtime's files these are
 * @param root   the global {@code --root} the engine passes, else the runtime's default for root
 */
public record RuntimeState(Format format, Path root) {

    /** One runtime's state file and its two fields. */
    public enum Format {
        RUNC("state.json", "init_process_pid", "init_process_start", Path.of("/run/runc")),
        CRUN("status", "pid", "process-start-time", Path.of("/run/crun"));

        public final String file;
        public final String pidField;
        public final String startField;
        final Path defaultRoot;

        Format(String file, String pidField, String startField, Path defaultRoot) {
            this.file = file;
            this.pidField = pidField;
            this.startField = startField;
            this.defaultRoot = defaultRoot;
        }
    }

    /**
     * The state of {@code delegate} (runc, crun or a path to either; anything else is taken to be
     * runc-compatible) under the command line's {@code --root}, if it has one.
     */
    public static RuntimeState of(String delegate, Optional<Path> root) {
        Path name = Path.of(delegate).getFileName();
        Format format = name != null && name.toString().equals("crun") ? Format.CRUN : Format.RUNC;
        return new RuntimeState(format, root.orElse(format.defaultRoot));
    }

    /** The state file of container {@code id}, which must be a plain name (an engine's hex id). */
    public Path file(String id) {
        if (id.isEmpty() || id.contains("/") || id.equals(".") || id.equals("..")) {
            throw new IllegalArgumentException("not a container id: " + id);
        }
        return root.resolve(id).resolve(format.file);
    }
}
