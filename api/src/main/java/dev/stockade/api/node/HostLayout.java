package dev.stockade.api.node;

import dev.stockade.api.Stockade;

/**
 * Where Stockade keeps its files on a node: every host path and file name that more than one
 * process (the installer, the handler launchers, the sandbox runtime, the spec server, the
 * supervisor, runc, the container engine) or more than one release of them relies on. All paths are
 * host-absolute, as seen from the host's own root; the installer resolves them under its host root.
 *
 * <p>The shell launchers in the runtime's payload ({@code bin/stockade-runtime},
 * {@code bin/stockade-spec-server}) repeat some of these names, because a shell script cannot import
 * them; a test of the payload's module compares the scripts with these constants. Changing one breaks
 * nodes installed by an older release, so a change needs a migration.
 */
public final class HostLayout {

    /**
     * The installed runtime, {@code /opt/stockade}: written by the installer only, kept across
     * reboots, removed (with everything below it) by the uninstall.
     */
    public static final String RUNTIME_DIR = "/opt/stockade";
    /**
     * One directory per installed payload, {@code releases/<version>-<12 hex digits of its content hash>}:
     * written once by the installer, never changed in place, so that a runtime executing an older
     * release keeps its files. The installer starts each release's spec server from here.
     */
    public static final String RELEASES = RUNTIME_DIR + "/releases";
    /**
     * A relative symbolic link to the release in use ({@code releases/<release>}), switched by the
     * installer with a rename. The handler launchers execute {@code current/}{@link #RUNTIME_LAUNCHER},
     * the installer starts {@code current/}{@link #SUPERVISOR_LAUNCHER}.
     */
    public static final String CURRENT = RUNTIME_DIR + "/current";
    /**
     * The handler launchers, one shell script per container runtime handler ({@link #handlerLauncher}):
     * written by the installer, named as the handler's runtime binary in the container engine's
     * configuration, executed by the engine (or its shim) instead of runc.
     */
    public static final String HANDLERS = RUNTIME_DIR + "/handlers";
    /**
     * What the installer changed on the node and how to undo it (JSON, keys in a fixed order):
     * written and read by the installer, by every later release of it too, on every pass and on
     * uninstall.
     */
    public static final String INSTALLER_STATE = RUNTIME_DIR + "/installer-state.json";
    /**
     * The originals of host files the installer edited, at {@code backups/<host path>}: written by
     * the installer before its first edit of a file, read back when it restores the file.
     */
    public static final String BACKUPS = RUNTIME_DIR + "/backups";

    /** In a release: the runc-compatible launcher the handler launchers execute (the payload's build writes it). */
    public static final String RUNTIME_LAUNCHER = "bin/stockade-runtime";
    /** In a release: the resident spec server's launcher, which the installer starts from the release's directory. */
    public static final String SPEC_SERVER_LAUNCHER = "bin/stockade-spec-server";
    /** In a release: the seccomp supervisor's launcher, which the installer starts through {@link #CURRENT}. */
    public static final String SUPERVISOR_LAUNCHER = "bin/stockade-supervisor";

    /**
     * The runtime classes' profiles, {@code <runtime class>.json} ({@link #profile}): written by the
     * installer from the policy's ConfigMap, read by the runtime on every create (the launcher names
     * its file in {@link LauncherEnvironment#PROFILE}).
     */
    public static final String PROFILE_DIR = "/etc/stockade/profiles";

    /**
     * The node's runtime state, {@code /run/stockade}, gone at reboot: the sockets, FIFOs and
     * records of the resident processes below. Removed by the uninstall once empty.
     */
    public static final String STATE_DIR = "/run/stockade";
    /**
     * The seccomp supervisor's listener socket (unix, stream): the supervisor binds it; the runtime
     * writes it as {@code linux.seccomp.listenerPath} of each supervised container and probes it
     * before; runc connects to it and sends the container's state with {@link ListenerMetadata}; the
     * installer starts the supervisor with {@code --socket} set to it and checks that it answers.
     * The runtime takes another from {@link LauncherEnvironment#SUPERVISOR_SOCKET}.
     */
    public static final String SUPERVISOR_SOCKET = STATE_DIR + "/supervisor.sock";
    /**
     * Appended to a supervisor's socket path for its hand-over socket (unix, seqpacket), on which a
     * running supervisor hands its containers' notify fds to the one that replaces it.
     */
    public static final String HANDOVER_SUFFIX = ".handover";
    /**
     * The spec server's directory (root-only, 0700): the spec server creates it and serves in it;
     * {@code bin/stockade-runtime} asks there unless {@link LauncherEnvironment#SPEC_SERVER} names
     * another; the installer starts the server with {@code --dir} set to it and removes it on stop.
     */
    public static final String SPEC_SERVER_DIR = STATE_DIR + "/spec-server";
    /**
     * In the spec server's directory: the FIFO the server reads requests from, one launcher pid a
     * line, which {@code bin/stockade-runtime} writes to.
     */
    public static final String SPEC_SERVER_REQUESTS = "requests";
    /** In the spec server's directory: the serving server's pid and a newline, written by it, read by the launcher and the installer. */
    public static final String SPEC_SERVER_PID = "pid";
    /**
     * In the spec server's directory, after a launcher's pid: its arguments, NUL-terminated, which the
     * launcher writes before its request and the server reads and removes.
     */
    public static final String SPEC_REQUEST_ARGUMENTS = ".args";
    /** As {@link #SPEC_REQUEST_ARGUMENTS}: the launcher's {@code NAME=value} environment, NUL-terminated. */
    public static final String SPEC_REQUEST_ENVIRONMENT = ".env";
    /**
     * The launcher's file descriptor the spec server answers on: the server opens
     * {@code /proc/<launcher pid>/fd/7} for writing (it must be a pipe or FIFO) and writes {@code 0},
     * or {@code 1 <n>} and the n lines of the refusal, each line ending in a newline; anything else
     * makes the launcher check with its own JVM. bin/stockade-runtime makes it an anonymous pipe (a
     * here-document, whose one line it reads first), so that the pipe costs it no process.
     */
    public static final int SPEC_REQUEST_REPLY_FD = 7;
    /**
     * As {@link #SPEC_REQUEST_ARGUMENTS}: a FIFO the launcher makes for {@link #SPEC_REQUEST_REPLY_FD}
     * only where its shell's here-documents are files, not pipes (bash before 5.1, ksh), and removes
     * once it has opened it.
     */
    public static final String SPEC_REQUEST_REPLY = ".reply";
    /**
     * A copy of the installer pod's service-account credentials ({@code token}, {@code ca.crt},
     * {@code namespace}), root-only: written by the installer on every pass (the token rotates), read
     * by the supervisor, which runs in the host's mount namespace where the kubelet's mount of them
     * is not, to write Events; removed on uninstall.
     */
    public static final String SERVICE_ACCOUNT = STATE_DIR + "/serviceaccount";

    /** The supervisor's output on the node: the installer starts it with its output here; the alert rules point admins at it. */
    public static final String SUPERVISOR_LOG = "/var/log/stockade-supervisor.log";
    /** The spec server's output on the node, as {@link #SUPERVISOR_LOG}. */
    public static final String SPEC_SERVER_LOG = "/var/log/stockade-spec-server.log";

    /** The launcher of a container runtime handler, {@code /opt/stockade/handlers/<handler>}. */
    public static String handlerLauncher(String handler) {
        return HANDLERS + "/" + handler;
    }

    /** The profile file of a runtime class, {@code /etc/stockade/profiles/<runtime class>.json}. */
    public static String profile(String runtimeClass) {
        return PROFILE_DIR + "/" + Stockade.profileFileName(runtimeClass);
    }

    /** The hand-over socket of the supervisor listening on {@code socket}: {@code socket} + {@link #HANDOVER_SUFFIX}. */
    public static String handoverSocket(String socket) {
        return socket + HANDOVER_SUFFIX;
    }

    private HostLayout() {
    }
}
