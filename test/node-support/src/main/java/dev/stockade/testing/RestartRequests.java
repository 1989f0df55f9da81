package dev.stockade.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Restarts of a {@link PrivateContainerd} on request of a shell command. The installer restarts
 * the container runtime by running a command; the test (or demo) owns the containerd process, so
 * {@link #command()} asks it through a file and waits until the restart is done. The installer then
 * waits for containerd's socket itself.
 */
public final class RestartRequests implements AutoCloseable {

    private final PrivateContainerd containerd;
    private final Path request;
    private final AtomicInteger count = new AtomicInteger();
    private final Thread watcher;

    public RestartRequests(PrivateContainerd containerd) {
        this.containerd = containerd;
        this.request = containerd.workDir().resolve("restart-requested");
        this.watcher = Thread.ofPlatform().daemon().start(this::watch);
    }

    /** The shell command that restarts this containerd (waits at most a minute). */
    public String command() {
        return "touch " + request + "; i=0; while [ -e " + request + " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; [ ! -e "
                + request + " ]";
    }

    /** How many restarts were done. */
    public int count() {
        return count.get();
    }

    private void watch() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (Files.exists(request)) {
                    containerd.restart();
                    count.incrementAndGet();
                    Files.delete(request);
                }
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                throw new IllegalStateException("restarting containerd failed", e);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        watcher.interrupt();
        watcher.join(5000);
    }
}
