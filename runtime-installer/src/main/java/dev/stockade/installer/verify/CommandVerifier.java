package dev.stockade.installer.verify;

import dev.stockade.api.node.HostLayout;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.restart.CommandRestarter;
import dev.stockade.installer.runtime.Handler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a command per handler after the file checks: by default the handler's launcher with
 * {@code --version} inside the host's root (the launcher finds the delegate runc as the container
 * runtime will), then the payload's JRE once (a host whose C library cannot run it, such as a
 * musl-based one, would otherwise be declared ready and refuse every container); or an admin's
 * own command such as a test container run.
 */
public final class CommandVerifier implements HandlerVerifier {

    private final HandlerVerifier before;
    private final List<String> commandPrefix;
    private final boolean appendLauncher;
    private final Duration timeout;

    private CommandVerifier(HandlerVerifier before, List<String> commandPrefix, boolean appendLauncher, Duration timeout) {
        this.before = before;
        this.commandPrefix = List.copyOf(commandPrefix);
        this.appendLauncher = appendLauncher;
        this.timeout = timeout;
    }

    /** {@code chroot <host root> <launcher> --version} (no chroot when the host root is /). */
    public static CommandVerifier launcherVersion(HandlerVerifier before, String hostRoot, Duration timeout) {
        List<String> prefix = hostRoot.equals("/") ? List.of() : List.of("chroot", hostRoot);
        return new CommandVerifier(before, prefix, true, timeout);
    }

    /** {@code sh -c <command> verify <handler> <launcher>} once per handler. */
    public static CommandVerifier shell(HandlerVerifier before, String command, Duration timeout) {
        return new CommandVerifier(before, List.of("sh", "-c", command, "verify"), false, timeout);
    }

    @Override
    public void verify(List<Handler> handlers) throws InstallerException {
        before.verify(handlers);
        for (Handler handler : handlers) {
            List<String> command = new ArrayList<>(commandPrefix);
            if (appendLauncher) {
                command.add(handler.launcher());
                command.add("--version");
            } else {
                command.add(handler.name());
                command.add(handler.launcher());
            }
            CommandRestarter.runCommand(command, timeout, "verifying handler " + handler.name());
        }
        if (appendLauncher && !handlers.isEmpty()) {
            List<String> java = new ArrayList<>(commandPrefix);
            java.addAll(List.of(HostLayout.CURRENT + "/jre/bin/java", "-version"));
            CommandRestarter.runCommand(java, timeout, "starting the runtime's JRE on this node (it needs glibc)");
        }
    }

    @Override
    public String describe() {
        return before.describe() + ", then " + (appendLauncher ? "<launcher> --version and the JRE" : String.join(" ", commandPrefix));
    }
}
