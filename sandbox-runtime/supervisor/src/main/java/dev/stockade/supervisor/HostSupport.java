package dev.stockade.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether this host can run the supervisor: kernel 5.0+ (seccomp user notification and
 * NOTIF_ID_VALID), x86_64 (the syscall table), and a delegate runtime that passes the notify fd
 * to {@code linux.seccomp.listenerPath} (runc 1.1+, crun 0.19+). Pure: the caller passes what it read.
 */
public final class HostSupport {

    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    /** Problems found, each a sentence naming what is missing and what is needed; empty when supported. */
    public static List<String> problems(String kernelRelease, String osArch, String runtimeName, String runtimeVersionOutput) {
        List<String> problems = new ArrayList<>();
        int[] kernel = version(kernelRelease);
        if (kernel == null || compare(kernel, new int[] {5, 0, 0}) < 0) {
            problems.add("kernel " + kernelRelease + " is too old for the Stockade supervisor: seccomp user notification needs Linux 5.0 or newer");
        }
        if (!osArch.equals("amd64") && !osArch.equals("x86_64")) {
            problems.add("architecture " + osArch + " is not supported by the Stockade supervisor yet (x86_64 only)");
        }
        int[] runtime = runtimeVersionOutput == null ? null : version(firstLine(runtimeVersionOutput));
        int[] minimum = runtimeName.equals("crun") ? new int[] {0, 19, 0} : new int[] {1, 1, 0};
        if (runtime == null) {
            problems.add("cannot tell the version of " + runtimeName + " (" + (runtimeVersionOutput == null ? "not found" : firstLine(runtimeVersionOutput))
                    + "): the supervisor needs " + runtimeName + " " + minimum[0] + "." + minimum[1] + " or newer for linux.seccomp.listenerPath");
        } else if (compare(runtime, minimum) < 0) {
            problems.add(runtimeName + " " + runtime[0] + "." + runtime[1] + "." + runtime[2] + " does not pass seccomp notify fds to linux.seccomp.listenerPath: install "
                    + runtimeName + " " + minimum[0] + "." + minimum[1] + " or newer");
        }
        return problems;
    }

    static int[] version(String text) {
        if (text == null) {
            return null;
        }
        Matcher matcher = VERSION.matcher(text);
        if (!matcher.find()) {
            return null;
        }
        return new int[] {Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)),
                matcher.group(3) == null ? 0 : Integer.parseInt(matcher.group(3))};
    }

    private static int compare(int[] a, int[] b) {
        for (int i = 0; i < 3; i++) {
            if (a[i] != b[i]) {
                return Integer.compare(a[i], b[i]);
            }
        }
        return 0;
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).strip();
    }

    private HostSupport() {
    }
}
