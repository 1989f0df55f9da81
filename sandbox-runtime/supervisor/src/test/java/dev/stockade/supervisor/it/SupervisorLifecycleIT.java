package dev.stockade.supervisor.it;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.supervisor.linux.Libc;
import dev.stockade.supervisor.linux.SocketLoop;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What happens around the answers: a successor that dies mid-handover, a container killed mid-call. */
class SupervisorLifecycleIT {

    @TempDir
    Path workDir;
    NotifiedContainers containers;

    @BeforeEach
    void rootfs() {
        containers = new NotifiedContainers(workDir);
    }

    private SupervisorProcess supervisor() {
        return SupervisorProcess.start(workDir.resolve("supervisor.sock"), workDir.resolve("supervisor.log"), SupervisorProcess.freePort());
    }

    @Test
    void aSuccessorThatVanishesBeforeAcknowledgingLeavesTheOldSupervisorAnswering() throws Exception {
        try (SupervisorProcess supervisor = supervisor()) {
            ObjectNode spec = NotifiedContainers.notify(containers.spec("notify-probe", "uname-loop", "5"), supervisor.socket,
                    List.of("uname"), NotifiedContainers.metadata("team-a", "web-0", "app", SupervisorIT.GVISOR_LIKE));
            CompletableFuture<CommandResult> looping = CompletableFuture.supplyAsync(() -> containers.run(spec));
            supervisor.awaitLog("answering team-a/web-0/app", 1, Duration.ofSeconds(30));

            // A would-be successor: asks for the handover, takes the listener message, then dies.
            int socket = Libc.socket(Libc.SOCK_SEQPACKET);
            try {
                Libc.connect(socket, supervisor.socket + ".handover");
                Libc.send(socket, "{\"kind\":\"request\"}".getBytes());
                assertTrue(SocketLoop.readable(socket, 10_000), "the supervisor sent nothing");
                Libc.Message listener = Libc.receive(socket, 1 << 16, 1);
                assertTrue(new String(listener.data()).contains("\"listener\""), new String(listener.data()));
                for (int fd : listener.fds()) {
                    Libc.close(fd);
                }
            } finally {
                Libc.close(socket);
            }
            supervisor.awaitLog("did not complete the handover; answering again", 1, Duration.ofSeconds(20));
            CommandResult loop = looping.get();
            assertEquals(0, loop.exitCode(), loop.describe());
            assertTrue(loop.stdout().contains("failures=0") && loop.stdout().contains("release=4.4.0"), loop.describe());
            assertTrue(supervisor.isAlive());
            CommandResult after = containers.run(NotifiedContainers.notify(containers.spec("uname", "-r"), supervisor.socket,
                    List.of("uname"), NotifiedContainers.metadata("team-a", "web-1", "app", SupervisorIT.GVISOR_LIKE))).requireSuccess();
            assertEquals("4.4.0", after.stdout().strip(), "new containers are still accepted");
        }
    }

    @Test
    void aContainerKilledWhileCallingIsDroppedAndTheOthersAreStillAnswered() throws Exception {
        try (SupervisorProcess supervisor = supervisor()) {
            String id = NotifiedContainers.newId();
            ObjectNode spec = NotifiedContainers.notify(containers.spec("notify-probe", "hammer", "mount", "60"), supervisor.socket,
                    List.of("mount"), NotifiedContainers.metadata("team-b", "doomed", "app", null));
            Path bundle = containers.bundle(spec);
            String runc = containers.runc.toString();
            String root = containers.stateRoot.toString();
            Commands.run(Duration.ofSeconds(30), Map.of(), List.of(runc, "--root", root, "run", "--detach", "--bundle", bundle.toString(), id))
                    .requireSuccess();
            try {
                supervisor.awaitLog("answering team-b/doomed/app", 1, Duration.ofSeconds(30));
                Thread.sleep(500);
            } finally {
                Commands.run(runc, "--root", root, "kill", id, "KILL");
            }
            supervisor.awaitLog("no task of team-b/doomed/app", 1, Duration.ofSeconds(20));
            Commands.run(runc, "--root", root, "delete", "--force", id);
            assertEquals(0, SupervisorIT.counter(supervisor.metrics(), "stockade_supervisor_containers"));
            assertTrue(supervisor.logLines().stream().noneMatch(line -> line.contains("stopped answering seccomp notifications")),
                    "a killed container is not an error:\n" + String.join("\n", supervisor.logLines()));
            CommandResult after = containers.run(NotifiedContainers.notify(containers.spec("uname", "-r"), supervisor.socket,
                    List.of("uname"), NotifiedContainers.metadata("team-a", "web-1", "app", SupervisorIT.GVISOR_LIKE))).requireSuccess();
            assertEquals("4.4.0", after.stdout().strip());
        }
    }

    /**
     * A container the supervisor cannot answer (here: beyond --max-containers 1) must not run with
     * its tripwires silent and uname failing: its init is killed before its program gets far, and
     * the refusal is counted.
     */
    @Test
    void aContainerBeyondMaxContainersDoesNotRun() throws Exception {
        try (SupervisorProcess supervisor = SupervisorProcess.start(workDir.resolve("supervisor.sock"), workDir.resolve("supervisor.log"),
                SupervisorProcess.freePort(), "--max-containers", "1")) {
            String id = NotifiedContainers.newId();
            ObjectNode first = NotifiedContainers.notify(containers.spec("sleep", "30"), supervisor.socket,
                    List.of("uname"), NotifiedContainers.metadata("team-c", "first", "app", null));
            String runc = containers.runc.toString();
            String root = containers.stateRoot.toString();
            Commands.run(Duration.ofSeconds(30), Map.of(), List.of(runc, "--root", root, "run", "--detach", "--bundle",
                    containers.bundle(first).toString(), id)).requireSuccess();
            try {
                supervisor.awaitLog("answering team-c/first/app", 1, Duration.ofSeconds(30));
                CommandResult second = containers.run(NotifiedContainers.notify(containers.spec("sh", "-c", "sleep 3; echo ran"),
                        supervisor.socket, List.of("uname"), NotifiedContainers.metadata("team-c", "second", "app", null)));
                assertTrue(second.exitCode() != 0 && !second.stdout().contains("ran"), "the second container ran unanswered: " + second.describe());
                supervisor.awaitLog("cannot answer team-c/second/app", 1, Duration.ofSeconds(10));
                assertTrue(supervisor.logLines().stream().anyMatch(line -> line.contains("killed its init")), String.join("\n", supervisor.logLines()));
                assertEquals(1, SupervisorIT.counter(supervisor.metrics(), "stockade_supervisor_refused_containers_total"));
                assertEquals(1, SupervisorIT.counter(supervisor.metrics(), "stockade_supervisor_containers"), "the first is still answered");
            } finally {
                Commands.run(runc, "--root", root, "kill", id, "KILL");
                Commands.run(runc, "--root", root, "delete", "--force", id);
            }
        }
    }
}
