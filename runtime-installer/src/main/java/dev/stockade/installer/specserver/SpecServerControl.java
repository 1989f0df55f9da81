package dev.stockade.installer.specserver;

import dev.stockade.api.node.HostLayout;
import dev.stockade.api.node.NodeMetrics;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostFiles;
import dev.stockade.installer.host.HostProcesses;
import dev.stockade.installer.host.HostRoot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Keeps the runtime's spec server ({@code bin/stockade-spec-server} of the installed release)
 * running on the node, so that a container create does not pay for a JVM start. It only makes
 * creates faster: the runtime's launcher checks with its own JVM whenever the server does not
 * answer, so a server that cannot start is reported in the node status, never fatal.
 */
public final class SpecServerControl {

    /** The name this install records its spec servers under ({@link HostProcesses#records}). */
    public static final String DAEMON = "spec-server";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final System.Logger LOG = System.getLogger(SpecServerControl.class.getName());

    private final HostRoot host;
    private final HostProcesses processes;

    public SpecServerControl(HostRoot host, HostProcesses processes) {
        this.host = host;
        this.processes = processes;
    }

    public static SpecServerControl forNode(HostRoot host) {
        return new SpecServerControl(host, HostProcesses.forNode(host));
    }

    /** How the server stands after {@link #ensure}: the node status's words, and whether this call started it. */
    public record Ensured(String state, boolean started) {
    }

    /**
     * Leaves a server of {@code release} that serves, or replaces whatever else there is (none, a
     * dead one's files, an older release's) with one; returns how it stands, for the node status.
     */
    public Ensured ensure(String release) {
        String releaseDirectory = HostLayout.RELEASES + "/" + release + "/";
        String launcher = releaseDirectory + HostLayout.SPEC_SERVER_LAUNCHER;
        if (!Files.isExecutable(host.resolve(launcher))) {
            return new Ensured("no spec server in this payload (each create starts a JVM)", false);
        }
        try {
            if (serving(releaseDirectory)) {
                return new Ensured("spec server serving on " + HostLayout.SPEC_SERVER_DIR, false);
            }
        } catch (InstallerException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot tell whether the spec server runs; leaving it as it is: {0}", e.getMessage());
            return new Ensured("spec server unknown (creates may start a JVM each): " + e.getMessage(), false);
        }
        try {
            stop();
            // Started from its release directory, not through the current link, so that an upgrade
            // never has it load classes from another release's jars.
            processes.startDetached(DAEMON, List.of(launcher, "--dir", HostLayout.SPEC_SERVER_DIR,
                    "--metrics-socket", NodeMetrics.SPEC_SERVER_SOCKET), Map.of(), HostLayout.SPEC_SERVER_LOG, START_TIMEOUT);
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (!serving(releaseDirectory)) {
                if (System.nanoTime() > deadline) {
                    throw new InstallerException("the spec server does not serve on " + HostLayout.SPEC_SERVER_DIR + " after "
                            + START_TIMEOUT.toSeconds() + " s; see " + HostLayout.SPEC_SERVER_LOG + " on the node");
                }
                Thread.sleep(50);
            }
            return new Ensured("spec server serving on " + HostLayout.SPEC_SERVER_DIR, true);
        } catch (InstallerException e) {
            LOG.log(System.Logger.Level.WARNING, "the spec server is not running, creates start a JVM each: {0}", e.getMessage());
            return new Ensured("spec server not running (each create starts a JVM): " + e.getMessage(), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Ensured("spec server not running: interrupted while starting it", true);
        }
    }

    /**
     * Stops the spec servers this install started (TERM, then KILL) and removes {@link HostLayout#SPEC_SERVER_DIR}.
     * Another host root's spec server, whatever its arguments, is not touched.
     */
    public void stop() throws InstallerException {
        try {
            processes.stop(DAEMON, STOP_TIMEOUT);
            HostFiles.deleteTree(host.resolve(HostLayout.SPEC_SERVER_DIR));
        } catch (IOException e) {
            throw new InstallerException("cannot remove " + HostLayout.SPEC_SERVER_DIR + " on the node: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallerException("interrupted while stopping the spec server", e);
        }
    }

    /** The spec servers this install started that still run (any release), by their records under the host root. */
    public List<Long> running() throws InstallerException {
        return processes.running(DAEMON).stream().map(ProcessHandle::pid).toList();
    }

    /**
     * What the launcher checks, the FIFO is there and the pid file names a live server, and more:
     * that server is one this install started, of this release.
     */
    private boolean serving(String releaseDirectory) throws InstallerException {
        List<Long> ofRelease = processes.running(DAEMON).stream()
                .filter(process -> HostProcesses.arguments(process).stream().anyMatch(argument -> argument.contains(releaseDirectory)))
                .map(ProcessHandle::pid).toList();
        try {
            Path directory = host.resolve(HostLayout.SPEC_SERVER_DIR);
            Path pidFile = directory.resolve(HostLayout.SPEC_SERVER_PID);
            return Files.exists(directory.resolve(HostLayout.SPEC_SERVER_REQUESTS)) && Files.exists(pidFile)
                    && ofRelease.contains(Long.parseLong(Files.readString(pidFile).strip()));
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }
}
