package dev.stockade.supervisor;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** {@code stockade-supervisor run|check}: exit 0 when done, 2 on bad arguments or an unsupported host, 1 on failure. */
public final class SupervisorMain {

    public static void main(String[] args) {
        configureLogging();
        SupervisorOptions options;
        try {
            options = SupervisorOptions.parse(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("stockade-supervisor: " + e.getMessage());
            System.exit(2);
            return;
        }
        List<String> problems = HostSupport.problems(kernelRelease(), System.getProperty("os.arch"),
                java.nio.file.Path.of(options.runtimePath()).getFileName().toString(), runtimeVersion(options.runtimePath()));
        if (!problems.isEmpty()) {
            problems.forEach(problem -> System.err.println("stockade-supervisor: unsupported host: " + problem));
            System.exit(2);
            return;
        }
        if (options.command().equals("check")) {
            System.out.println("supported");
            return;
        }
        try {
            new Supervisor(options).run();
            System.exit(0);
        } catch (IOException e) {
            System.err.println("stockade-supervisor: " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            System.exit(1);
        }
    }

    private static String kernelRelease() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    /** The first line of {@code runtime --version}, or null when it cannot be run. */
    static String runtimeVersion(String runtime) {
        try {
            Process process = new ProcessBuilder(runtime, "--version").redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 ? output : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** One line per record on stderr (the daemon's log; never a container's stream). */
    private static void configureLogging() {
        Logger root = Logger.getLogger("");
        for (var handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord record) {
                return java.time.Instant.ofEpochMilli(record.getMillis()) + " " + record.getLevel() + " "
                        + record.getLoggerName() + " " + formatMessage(record) + System.lineSeparator();
            }
        });
        root.addHandler(handler);
    }

    private SupervisorMain() {
    }
}
