package dev.stockade.installer.restart;

import dev.stockade.installer.InstallerException;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/** Waits until the container runtime accepts connections on its socket again after a restart. */
public interface RuntimeReadiness {

    void awaitAnswering() throws InstallerException;

    static RuntimeReadiness socket(Path socket, Duration timeout) {
        return () -> {
            long deadline = System.nanoTime() + timeout.toNanos();
            IOException last = null;
            while (System.nanoTime() < deadline) {
                try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                    return;
                } catch (IOException e) {
                    last = e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InstallerException("interrupted while waiting for " + socket, e);
                }
            }
            throw new InstallerException("the container runtime did not answer on " + socket + " within " + timeout.toSeconds()
                    + " s after the restart (" + (last == null ? "no attempt" : last.getMessage()) + ")");
        };
    }
}
