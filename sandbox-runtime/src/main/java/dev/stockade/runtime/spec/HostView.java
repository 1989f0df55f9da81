package dev.stockade.runtime.spec;

/** What validation needs to know about the host; the real one reads /proc, tests give fixed answers. */
public interface HostView {

    /** The path runc will really mount: symlinks resolved, as far as the path exists. */
    String realPath(String hostPath);

    /**
     * Whether the namespace file (for example /proc/1/ns/net) is one of the host's own namespaces.
     * The runtime runs in the host's namespaces (it is started by the containerd shim). A path that
     * cannot be examined counts as the host's: fail closed.
     */
    boolean isHostNamespace(String type, String path);
}
