package dev.stockade.installer;

/**
 * Called after every step that changes the host. Production passes {@link #NONE}; the crash tests
 * throw from a chosen step to prove that an installer killed there leaves a working host and
 * that the next run finishes the job.
 */
@FunctionalInterface
public interface Checkpoint {

    Checkpoint NONE = step -> { };

    void reached(String step);
}
