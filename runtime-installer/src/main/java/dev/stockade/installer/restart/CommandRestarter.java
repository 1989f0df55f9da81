package dev.stockade.installer.restart;

import dev.stockade.installer.InstallerException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Restarts by running a command and waiting for it to succeed: {@code systemctl restart} in the
 * host's namespaces, a distribution's service command, or a test's own script.
 */
public final class CommandRestarter implements RuntimeRestarter {

    private final List<String> command;
    private final Duration timeout;
    private final RuntimeReadiness readiness;

    public CommandRestarter(List<String> command, Duration timeout, RuntimeReadiness readiness) {
        this.command = List.copyOf(command);
        this.timeout = timeout;
        this.readiness = readiness;
    }

    /** systemd on the host, reached through PID 1's namespaces (the pod runs with hostPID). */
    public static CommandRestarter systemd(String unit, Duration timeout, RuntimeReadiness readiness) {
        return new CommandRestarter(List.of("nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid",
                "--", "systemctl", "restart", unit), timeout, readiness);
    }

    @Override
    public void restart() throws InstallerException {
        runCommand(command, timeout, "restarting the container runtime");
        readiness.awaitAnswering();
    }

    @Override
    public String describe() {
        return String.join(" ", command);
    }

    /** Runs a command, fails with its output when it exits non-zero or outlives the timeout. */
    public static String runCommand(List<String> command, Duration timeout, String purpose) throws InstallerException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new InstallerException(purpose + ": cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new InstallerException(purpose + ": " + String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                throw new InstallerException(purpose + ": " + String.join(" ", command) + " exited with " + process.exitValue()
                        + (output.isEmpty() ? "" : ": " + output));
            }
            return output;
        } catch (IOException e) {
            throw new InstallerException(purpose + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new InstallerException(purpose + ": interrupted", e);
        }
    }
}
