package dev.stockade.testing;

import java.util.List;

/** What a finished command printed and returned. */
public record CommandResult(List<String> command, int exitCode, String stdout, String stderr) {

    /** Returns this result, or fails with everything the command printed when it did not exit 0. */
    public CommandResult requireSuccess() {
        if (exitCode != 0) {
            throw new AssertionError(describe());
        }
        return this;
    }

    public String describe() {
        return String.join(" ", command) + " exited " + exitCode + "\n--- stdout:\n" + stdout + "--- stderr:\n" + stderr;
    }
}
