package dev.stockade.supervisor.audit;

import dev.stockade.supervisor.listener.SandboxContainer;

/** A container called a tripwire syscall; the supervisor denied it with EPERM. */
public record Violation(SandboxContainer container, long pid, String syscall) {
}
