package dev.stockade.api.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The directories in which the node's container engine keeps each container's or pod sandbox's own
 * files, which the sandbox runtime lets that container, and no other, mount. The installer derives
 * them from the engine's real configuration and writes them into each handler's launcher
 * ({@link LauncherEnvironment#ENGINE_DIRECTORIES}); the runtime reads them there.
 *
 * <p>Text form: entries {@code layout:/absolute/path} separated by spaces, e.g.
 * {@code containerd:/var/lib/containerd containerd:/run/containerd docker:/var/lib/docker}. Paths are
 * normalized absolute paths of letters, digits and {@code . _ - /}, so the launcher (a shell
 * script) carries them without quoting.
 *
 * @param entries the directories, in order, without duplicates
 */
public record EngineDirectories(List<Entry> entries) {

    /** How an engine lays out its per-container files below one of its directories. */
    public enum Layout {
        /**
         * containerd's CRI plugin, below its {@code root} and {@code state}:
         * {@code io.containerd.grpc.v1.cri/sandboxes/<sandbox id>/{hostname,hosts,resolv.conf,shm}}
         * (containerd internal/cri/server/podsandbox, sandbox_run.go).
         */
        CONTAINERD("containerd"),
        /**
         * containers/storage (CRI-O, Podman), below its {@code graphroot} and {@code runroot}:
         * {@code overlay-containers/<id>/userdata/{hostname,hosts,resolv.conf,shm,.containerenv,run/secrets}},
         * the id being the pod sandbox's (CRI-O) or the container's own (Podman).
         */
        CONTAINERS_STORAGE("containers-storage"),
        /**
         * Docker, below its {@code data-root}:
         * {@code containers/<container id>/{hostname,hosts,resolv.conf,mounts/shm}} (moby daemon/container).
         */
        DOCKER("docker");

        private final String label;

        Layout(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        static Layout ofLabel(String label) {
            for (Layout layout : values()) {
                if (layout.label.equals(label)) {
                    return layout;
                }
            }
            throw new IllegalArgumentException("unknown engine layout '" + label + "'; use one of "
                    + Arrays.stream(values()).map(Layout::label).toList());
        }
    }

    /** One directory of one layout. */
    public record Entry(Layout layout, String path) {
        public Entry {
            if (layout == null || path == null || !path.matches(SAFE_PATH) || !Path.of(path).normalize().toString().equals(path)
                    || path.equals("/")) {
                throw new IllegalArgumentException("engine directory '" + path + "' is not a normalized absolute path below / of letters, "
                        + "digits and . _ - / (the handler launcher carries it without quoting)");
            }
        }

        @Override
        public String toString() {
            return layout.label() + ":" + path;
        }
    }

    /** What a path here may look like: the shape a launcher carries without quoting. */
    public static final String SAFE_PATH = "^/[A-Za-z0-9._/-]*$";

    /**
     * The engines' usual directories, for a launcher that names none (one written by hand, or by an
     * older installer): containerd's and k3s's (RKE2 shares k3s's state directory), containers/storage's
     * for root, Docker's.
     */
    public static final EngineDirectories DEFAULTS = parse("containerd:/var/lib/containerd containerd:/run/containerd "
            + "containerd:/var/lib/rancher/k3s/agent/containerd containerd:/run/k3s/containerd "
            + "containerd:/var/lib/rancher/rke2/agent/containerd "
            + "containers-storage:/var/lib/containers/storage containers-storage:/run/containers/storage docker:/var/lib/docker");

    public EngineDirectories {
        entries = List.copyOf(new LinkedHashSet<>(entries));
    }

    public static EngineDirectories of(Entry... entries) {
        return new EngineDirectories(List.of(entries));
    }

    /** The directories of one layout. */
    public List<String> paths(Layout layout) {
        return entries.stream().filter(entry -> entry.layout() == layout).map(Entry::path).toList();
    }

    /** This set with {@code more} added after it. */
    public EngineDirectories and(EngineDirectories more) {
        List<Entry> all = new ArrayList<>(entries);
        all.addAll(more.entries());
        return new EngineDirectories(all);
    }

    /**
     * Parses the text form.
     *
     * @throws IllegalArgumentException naming the entry that is not {@code layout:/path} or whose path is unsafe
     */
    public static EngineDirectories parse(String text) {
        List<Entry> entries = new ArrayList<>();
        for (String item : text.strip().split("\\s+")) {
            if (item.isEmpty()) {
                continue;
            }
            int colon = item.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("engine directory entry '" + item + "' is not layout:/path");
            }
            entries.add(new Entry(Layout.ofLabel(item.substring(0, colon).toLowerCase(Locale.ROOT)), item.substring(colon + 1)));
        }
        return new EngineDirectories(entries);
    }

    /** The text form, which {@link #parse} reads back to an equal value. */
    public String format() {
        return entries.stream().map(Entry::toString).collect(Collectors.joining(" "));
    }
}
