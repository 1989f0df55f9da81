package dev.stockade.installer.restart;

import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Sends a signal to the runtime's processes found in the host's /proc, root's only (Docker reloads
 * its runtimes on SIGHUP). A signal cannot start a stopped runtime: the installer asks
 * {@link #stopped()} first.
 */
public final class SignalRestarter implements RuntimeRestarter {

    private final HostRoot host;
    private final String processName;
    private final String signal;
    private final RuntimeReadiness readiness;

    public SignalRestarter(HostRoot host, String processName, String signal, RuntimeReadiness readiness) {
        this.host = host;
        this.processName = processName;
        this.signal = signal;
        this.readiness = readiness;
    }

    @Override
    public void restart() throws InstallerException {
        List<String> pids = findProcesses();
        if (pids.isEmpty()) {
            throw new InstallerException("no process of root's named '" + processName + "' in " + host.resolve("/proc")
                    + " to send SIG" + signal + " to; is the container runtime running, and does the pod use hostPID?");
        }
        for (String pid : pids) {
            CommandRestarter.runCommand(List.of("kill", "-" + signal, pid), Duration.ofSeconds(10), "signalling " + processName);
        }
        readiness.awaitAnswering();
    }

    @Override
    public boolean stopped() throws InstallerException {
        return findProcesses().isEmpty();
    }

    @Override
    public String describe() {
        return "SIG" + signal + " to " + processName;
    }

    private List<String> findProcesses() throws InstallerException {
        try {
            return host.rootProcesses(processName).stream().map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            throw new InstallerException("cannot list " + host.resolve("/proc") + ": " + e.getMessage(), e);
        }
    }
}
