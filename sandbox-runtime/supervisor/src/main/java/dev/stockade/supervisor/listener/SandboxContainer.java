package dev.stockade.supervisor.listener;

import dev.stockade.api.profile.KernelIdentity;

/**
 * Who a notification fd belongs to, as runc told us when it handed the fd over: the container's
 * id and init pid, the pod identity and policy the runtime put in {@code listenerMetadata}, and
 * the kernel identity uname must show (null: uname is not emulated for this container).
 */
public record SandboxContainer(
        String id,
        long initPid,
        String policy,
        String runtimeClass,
        String namespace,
        String pod,
        String container,
        KernelIdentity kernelIdentity,
        String nodename,
        String domainname) {

    /** How log lines and errors name the container. */
    public String describe() {
        return (namespace.isEmpty() ? "" : namespace + "/") + (pod.isEmpty() ? "" : pod + "/")
                + (container.isEmpty() ? id : container) + " (container " + id + ", policy " + (policy.isEmpty() ? "-" : policy) + ")";
    }
}
