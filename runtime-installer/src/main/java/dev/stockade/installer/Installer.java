package dev.stockade.installer;

import dev.stockade.installer.host.HostFiles;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.payload.PayloadInstaller;
import dev.stockade.installer.profile.ProfileInstaller;
import dev.stockade.installer.restart.RuntimeRestarter;
import dev.stockade.installer.runtime.DesiredFile;
import dev.stockade.installer.runtime.Handler;
import dev.stockade.installer.runtime.RunningContainers;
import dev.stockade.installer.runtime.RuntimeConfigApplier;
import dev.stockade.installer.runtime.RuntimeConfigurator;
import dev.stockade.installer.state.InstallState;
import dev.stockade.installer.state.StateStore;
import dev.stockade.installer.verify.HandlerVerifier;
import dev.stockade.installer.verify.StaleRuntimeException;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.stockade.api.profile.Profiles;
import dev.stockade.installer.supervisor.SupervisorControl;
import dev.stockade.installer.supervisor.SupervisorDecision;
import dev.stockade.installer.specserver.SpecServerControl;

import java.io.IOException;
import dev.stockade.api.node.HostLayout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The installer's steps, in the order that keeps the host working if it is killed between any
 * two of them: check every input, install the payload and launchers, the profiles, then the
 * container runtime's configuration (drop-ins before the imports that name them), restart the
 * runtime only when that configuration changed, verify. Uninstall runs the other way.
 */
public final class Installer {

    private static final System.Logger LOG = System.getLogger(Installer.class.getName());

    private final HostRoot host;
    private final List<Handler> handlers;
    private final RuntimeConfigurator configurator;
    private final RuntimeRestarter restarter;
    private final HandlerVerifier verifier;
    private final PayloadInstaller payload;
    private final ProfileInstaller profiles;
    private final SupervisorControl supervisor;
    private final SpecServerControl specServer;
    private final StateStore store;
    private final Checkpoint checkpoint;

    public Installer(HostRoot host, List<Handler> handlers, RuntimeConfigurator configurator, RuntimeRestarter restarter,
                     HandlerVerifier verifier, PayloadInstaller payload, ProfileInstaller profiles, SupervisorControl supervisor,
                     SpecServerControl specServer, Checkpoint checkpoint) {
        this.host = host;
        this.handlers = List.copyOf(handlers);
        this.configurator = configurator;
        this.restarter = restarter;
        this.verifier = verifier;
        this.payload = payload;
        this.profiles = profiles;
        this.supervisor = supervisor;
        this.specServer = specServer;
        this.store = new StateStore(host);
        this.checkpoint = checkpoint;
    }

    /**
     * What an install did; {@code supervisor} and {@code specServer} say how the node's daemons stand,
     * {@code started} which of them this pass had to start (for the node's metrics).
     */
    public record InstallResult(String version, String release, List<String> handlers, Map<String, String> profileHashes,
                                List<String> changedFiles, boolean restarted, String supervisor, String specServer,
                                boolean supervisorNeeded, Set<Daemon> started, List<String> notices) {
    }

    /** The node's resident processes the installer keeps running. */
    public enum Daemon { SUPERVISOR, SPEC_SERVER }

    /** What an uninstall did. */
    public record UninstallResult(List<String> changedFiles, boolean restarted) {
    }

    public InstallResult install() throws InstallerException {
        InstallState state = store.load();
        // Everything is read and checked before the first change: bad input leaves the host as it was.
        Map<String, String> profileContents = profiles.read(handlers.stream().map(Handler::runtimeClass).toList());
        List<DesiredFile> desired = configurator.desired(handlers);
        List<String> notices = configurator.notices();
        RuntimeConfigApplier applier = new RuntimeConfigApplier(host, store, checkpoint);
        applier.checkReplaceable(desired);
        if (restarter.stopped()) {
            // A signalled runtime that is not running would read our configuration at its next start,
            // unverified: refuse while nothing is changed yet.
            throw new InstallerException("the container runtime is not running (" + restarter.describe()
                    + " finds no process in " + host.resolve("/proc") + "); start it, or run the installer with hostPID,"
                    + " and the installer will retry. Nothing on the host was changed.");
        }
        String version = payload.version();
        try {
            state = createDirectories(state, desired);
            String previousRelease = state.release();
            String release = payload.install();
            payload.writeLaunchers(handlers, state.handlers().keySet());
            checkpoint.reached("launchers");
            Map<String, String> hashes = profiles.install(profileContents, state.profileHashes().keySet());
            checkpoint.reached("profiles");
            Map<String, String> handlerClasses = new LinkedHashMap<>();
            handlers.forEach(h -> handlerClasses.put(h.name(), h.runtimeClass()));
            state = state.withRuntime(configurator.kind().settingName()).withRelease(release)
                    .withHandlers(handlerClasses).withProfileHashes(hashes);
            store.save(state);
            checkpoint.reached("state");

            RuntimeConfigApplier.Applied applied = applier.apply(desired, state);
            state = applied.state();
            String configHash = RuntimeConfigApplier.configHash(desired);
            boolean restarted = false;
            // A file rewritten with content the runtime was restarted with before (someone reverted it, and
            // may have restarted the runtime on the reverted file) is a change the running runtime may lack.
            if (!configHash.equals(state.appliedConfigHash()) || !applied.changed().isEmpty()) {
                state = restart(state, configHash, "changed " + applied.changed());
                restarted = true;
            }
            Supervision supervision = superviseFor(profileContents, previousRelease != null && !previousRelease.equals(release));
            checkpoint.reached("supervisor");
            SpecServerControl.Ensured specServerState = specServer.ensure(release);
            Set<Daemon> started = EnumSet.noneOf(Daemon.class);
            if (supervision.started()) {
                started.add(Daemon.SUPERVISOR);
            }
            if (specServerState.started()) {
                started.add(Daemon.SPEC_SERVER);
            }
            if (previousRelease != null) {
                payload.pruneReleases(release, previousRelease);
            }
            try {
                verifier.verify(handlers);
            } catch (StaleRuntimeException e) {
                if (restarted) {
                    throw withNotices(e, notices);
                }
                // The files are newer than the running runtime (rewritten with the same content, or touched): load them.
                state = restart(state, configHash, "older than its configuration files");
                restarted = true;
                verifyWithNotices(notices);
            } catch (InstallerException e) {
                throw withNotices(e, notices);
            }
            checkpoint.reached("verified");
            return new InstallResult(version, release, handlers.stream().map(Handler::name).toList(), hashes, applied.changed(), restarted,
                    supervision.state(), specServerState.state(), supervision.needed(), Set.copyOf(started), notices);
        } catch (IOException e) {
            throw new InstallerException("install failed while writing the host: " + e.getMessage(), e);
        }
    }

    private void verifyWithNotices(List<String> notices) throws InstallerException {
        try {
            verifier.verify(handlers);
        } catch (InstallerException e) {
            throw withNotices(e, notices);
        }
    }

    /** A failed verification quotes the configurator's notices: one of them may be why. */
    private static InstallerException withNotices(InstallerException e, List<String> notices) {
        return notices.isEmpty() ? e : new InstallerException(e.getMessage() + "; " + String.join("; ", notices), e);
    }

    /** Containers running through the installed handlers (uninstall refuses while there are any). */
    public List<String> runningContainers() throws InstallerException {
        return RunningContainers.using(host, configurator.taskStateDirectories(), installedHandlers(store.load()));
    }

    public UninstallResult uninstall(boolean force) throws InstallerException {
        InstallState state = store.load();
        List<Handler> installed = installedHandlers(state);
        List<String> running = RunningContainers.using(host, configurator.taskStateDirectories(), installed);
        if (!running.isEmpty() && !force) {
            throw new InstallerException(running.size() + " container(s) still run through Stockade's handlers "
                    + installed.stream().map(Handler::name).toList() + ": " + running
                    + ". Drain the node's sandboxed pods first, or uninstall with --force (those containers then lose their runtime).");
        }
        // Read before the first change: the files are restored either way.
        boolean runtimeStopped = restarter.stopped();
        // After the refusal: a running sandbox may still have its notifications with the supervisor.
        supervisor.stop();
        specServer.stop();
        supervisor.removeHostState();
        checkpoint.reached("supervisor stopped");
        try {
            RuntimeConfigApplier.Applied reverted = new RuntimeConfigApplier(host, store, checkpoint).revert(state, configurator, installed);
            state = reverted.state();
            boolean restarted = false;
            if (runtimeStopped) {
                // Nothing runs with our handlers loaded: the runtime reads the restored files when it starts.
                LOG.log(System.Logger.Level.WARNING, "container runtime not running ({0} finds no process in {1}); it will start with the"
                        + " restored configuration. Without hostPID a running one is not seen: restart it to drop the handlers.",
                        restarter.describe(), host.resolve("/proc"));
                state = state.withAppliedConfigHash(null);
                store.save(state);
            } else if (!reverted.changed().isEmpty() || state.appliedConfigHash() != null) {
                state = restart(state, null, "restored " + reverted.changed());
                restarted = true;
            }
            profiles.remove(state.profileHashes().keySet());
            checkpoint.reached("profiles removed");
            for (String path : List.of(HostLayout.HANDLERS, HostLayout.CURRENT, HostLayout.RELEASES, HostLayout.BACKUPS)) {
                HostFiles.deleteTree(host.resolve(path));
                checkpoint.reached("removed " + path);
            }
            Files.deleteIfExists(host.resolve(HostLayout.SUPERVISOR_LOG));
            Files.deleteIfExists(host.resolve(HostLayout.SPEC_SERVER_LOG));
            Files.deleteIfExists(host.resolve(HostLayout.INSTALLER_STATE));
            deleteIfEmpty(HostLayout.RUNTIME_DIR);
            // Deepest first, and only when empty: someone else may have put files there since.
            for (String directory : state.createdDirectories().reversed()) {
                deleteIfEmpty(directory);
            }
            return new UninstallResult(reverted.changed(), restarted);
        } catch (IOException e) {
            throw new InstallerException("uninstall failed while writing the host: " + e.getMessage(), e);
        }
    }

    public InstallState state() throws InstallerException {
        return store.load();
    }

    /** Checks the installed handlers' files (launchers, runtime, profiles); throws naming what is broken. */
    public void checkInstalledFiles() throws InstallerException {
        new dev.stockade.installer.verify.InstalledFilesVerifier(host, payload).verify(installedHandlers(store.load()));
    }

    /**
     * Starts, keeps or hands over the node's supervisor (see {@link SupervisorDecision}). A host
     * that cannot run it fails the install when a profile needs it (fail closed: those sandboxes
     * would run without their kernel identity or tripwires), and is only reported otherwise.
     */
    /** How the supervisor stands after a pass: the node status's words, whether a profile needs it, whether this pass started it. */
    private record Supervision(String state, boolean needed, boolean started) {
    }

    private Supervision superviseFor(Map<String, String> profileContents, boolean releaseChanged) throws InstallerException {
        List<String> needing = new ArrayList<>();
        for (Map.Entry<String, String> profile : profileContents.entrySet()) {
            try {
                if (Profiles.parse(profile.getValue()).needsSupervisor()) {
                    needing.add(profile.getKey());
                }
            } catch (JsonProcessingException e) {
                throw new InstallerException("profile of runtime class " + profile.getKey() + " is not valid JSON: " + e.getOriginalMessage(), e);
            }
        }
        boolean needed = !needing.isEmpty();
        SupervisorDecision decision = SupervisorDecision.decide(needed, supervisor.answers(), releaseChanged || supervisor.metricsChanged());
        // Checked on every pass, so that the node status says so even while no profile needs it.
        Optional<String> unsupported = supervisor.unsupported();
        if (unsupported.isPresent()) {
            if (needed) {
                throw new InstallerException("the profiles of runtime classes " + needing + " need the Stockade supervisor "
                        + "(kernelIdentity or tripwireSyscalls), which this node cannot run: " + unsupported.get()
                        + ". Remove kernelIdentity and tripwireSyscalls from those profiles, or use nodes that support it");
            }
            return new Supervision("supervisor not needed (this node could not run it: " + unsupported.get() + ")", false, false);
        }
        if (decision == SupervisorDecision.KEEP) {
            // The running supervisor reads its token from the copy; the pod's token rotates.
            supervisor.shareCredentials();
        }
        switch (decision) {
            case START -> {
                LOG.log(System.Logger.Level.INFO, "profiles {0} need the supervisor: starting it", needing);
                supervisor.start();
            }
            case HAND_OVER -> {
                LOG.log(System.Logger.Level.INFO, "new release or metrics address: a new supervisor takes over from the running one");
                supervisor.start();
            }
            case KEEP, NONE -> { }
        }
        return new Supervision(decision == SupervisorDecision.NONE ? "supervisor not needed" : "supervisor running on " + HostLayout.SUPERVISOR_SOCKET,
                needed, decision == SupervisorDecision.START || decision == SupervisorDecision.HAND_OVER);
    }

    /** Restarts the container runtime, then records the configuration it now runs with. */
    private InstallState restart(InstallState state, String configHash, String why) throws InstallerException, IOException {
        LOG.log(System.Logger.Level.INFO, "container runtime configuration {0}; restarting it: {1}", why, restarter.describe());
        restarter.restart();
        checkpoint.reached("restarted");
        InstallState restarted = state.withAppliedConfigHash(configHash);
        store.save(restarted);
        checkpoint.reached("recorded restart");
        return restarted;
    }

    /**
     * Creates the directories the install writes into and records those that did not exist, so
     * that uninstall leaves no empty directories behind. Nothing is written before the record.
     */
    private InstallState createDirectories(InstallState state, List<DesiredFile> desired) throws IOException {
        List<String> needed = new ArrayList<>(List.of(HostLayout.RUNTIME_DIR, HostLayout.PROFILE_DIR, HostLayout.HANDLERS));
        desired.forEach(file -> needed.add(Path.of(file.hostPath()).getParent().toString()));
        List<String> created = new ArrayList<>(state.createdDirectories());
        List<Path> toCreate = new ArrayList<>();
        for (String directory : needed) {
            List<String> missing = new ArrayList<>();
            for (Path path = Path.of(directory); path != null && path.getParent() != null; path = path.getParent()) {
                if (!Files.exists(host.resolve(path.toString()))) {
                    missing.addFirst(path.toString());
                }
            }
            for (String path : missing) {
                if (!created.contains(path)) {
                    created.add(path);
                }
            }
            toCreate.add(host.resolve(directory));
        }
        if (created.equals(state.createdDirectories())) {
            return state;
        }
        for (Path directory : toCreate) {
            Files.createDirectories(directory);
        }
        InstallState updated = state.withCreatedDirectories(created);
        store.save(updated);
        return updated;
    }

    private List<Handler> installedHandlers(InstallState state) {
        if (state.handlers().isEmpty()) {
            return handlers;
        }
        return state.handlers().entrySet().stream().map(e -> new Handler(e.getValue(), e.getKey())).toList();
    }

    private void deleteIfEmpty(String hostPath) throws IOException {
        var directory = host.resolve(hostPath);
        if (Files.isDirectory(directory)) {
            try (var children = Files.list(directory)) {
                if (children.findAny().isEmpty()) {
                    Files.delete(directory);
                }
            }
        }
    }
}
