package dev.stockade.operator.policy;

import dev.stockade.api.Stockade;
import dev.stockade.api.profile.Capabilities;
import dev.stockade.api.profile.HostPathRule;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.operator.pool.LabelSelectors;
import io.fabric8.kubernetes.api.model.Quantity;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a policy before anything is changed for it. The CRD schema catches most of this on a real
 * API server, but an older CRD, a server without validation or a policy from before an upgrade
 * must still never half-apply: every problem names the field and what to do.
 */
public final class PolicyValidator {

    private static final Pattern DNS_LABEL = Pattern.compile(RuntimeClassSpec.DNS_LABEL);
    private static final Pattern CAPABILITY = Pattern.compile("^[A-Z][A-Z_]*$");
    /** The policy name goes into label values (63) and object names like stockade-NAME-installer. */
    static final int MAX_POLICY_NAME = 42;

    public static List<String> validate(SandboxPolicy policy) {
        List<String> problems = new ArrayList<>();
        String name = policy.getMetadata().getName();
        if (name == null || name.length() > MAX_POLICY_NAME || !DNS_LABEL.matcher(name).matches()) {
            problems.add("metadata.name \"" + name + "\" must be a DNS label (lower-case letters, digits, '-') of at most "
                    + MAX_POLICY_NAME + " characters, since it becomes a node label value; recreate the policy under a shorter name");
        }
        SandboxPolicySpec spec = policy.getSpec();
        if (spec == null) {
            problems.add("spec is required");
            return problems;
        }
        problems.addAll(LabelSelectors.validate(spec.getNodeSelector(), "spec.nodeSelector"));
        if (spec.getMaxNodes() != null && spec.getMaxNodes() < 1) {
            problems.add("spec.maxNodes must be at least 1, or left out to take every selected node");
        }
        if (spec.getAdmission() != null && spec.getAdmission().getExemptNamespaces() != null) {
            List<String> exempt = spec.getAdmission().getExemptNamespaces();
            for (int i = 0; i < exempt.size(); i++) {
                String namespace = exempt.get(i);
                if (namespace == null || namespace.length() > 63 || !DNS_LABEL.matcher(namespace).matches()) {
                    problems.add("spec.admission.exemptNamespaces[" + i + "] \"" + namespace + "\" must be a namespace name "
                            + "(a DNS label); list each namespace by name, there are no wildcards");
                }
            }
        }
        List<RuntimeClassSpec> classes = spec.getRuntimeClasses();
        if (classes == null || classes.isEmpty()) {
            problems.add("spec.runtimeClasses must list at least one runtime class");
            return problems;
        }
        Set<String> names = new HashSet<>();
        Set<String> handlers = new HashSet<>();
        for (int i = 0; i < classes.size(); i++) {
            RuntimeClassSpec runtimeClass = classes.get(i);
            String at = "spec.runtimeClasses[" + i + "]";
            String className = runtimeClass.getName();
            if (className == null || className.length() > 63 || !DNS_LABEL.matcher(className).matches()) {
                problems.add(at + ".name \"" + className + "\" must be a DNS label (lower-case letters, digits, '-', at most 63)");
                continue;
            }
            if (!names.add(className)) {
                problems.add(at + ".name \"" + className + "\" is used twice; runtime class names must be unique");
            }
            String handler = runtimeClass.effectiveHandler();
            if (handler.length() > 63 || !DNS_LABEL.matcher(handler).matches()) {
                problems.add(at + ".handler \"" + handler + "\" must be a DNS label (lower-case letters, digits, '-', at most 63)");
            } else if (!handlers.add(handler)) {
                problems.add(at + ".handler \"" + handler + "\" is used by two runtime classes; give each its own handler");
            }
            validateOverhead(runtimeClass.getOverhead(), at + ".overhead", problems);
            if (runtimeClass.getProfile() != null) {
                validateProfile(runtimeClass.getProfile(), at + ".profile", problems);
            }
        }
        if (spec.getInstaller() != null) {
            validateInstaller(spec.getInstaller(), problems);
        }
        return problems;
    }

    private static void validateInstaller(InstallerSpec installer, List<String> problems) {
        String restart = installer.getContainerRuntimeRestart();
        if (restart != null && !restart.matches(Stockade.RESTART_PATTERN)) {
            problems.add("spec.installer.containerRuntimeRestart \"" + restart
                    + "\" must be auto, systemd:<unit>, signal:<process>[:<SIGNAL>] or command:<shell command>");
        }
        String metrics = installer.getSupervisorMetrics();
        if (metrics != null && !metrics.matches(Stockade.SUPERVISOR_METRICS_PATTERN)) {
            problems.add("spec.installer.supervisorMetrics \"" + metrics + "\" must be HOST:PORT (e.g. 0.0.0.0:9464 or [::]:9464) or off");
        }
        String kubeletRoot = installer.getKubeletRootDir();
        if (kubeletRoot != null && !Stockade.isKubeletRoot(kubeletRoot)) {
            problems.add("spec.installer.kubeletRootDir \"" + kubeletRoot + "\" must be the kubelet's --root-dir as a normalized absolute path "
                    + "(letters, digits, '.', '_', '-', no '..' and no trailing '/')");
        }
    }

    private static void validateOverhead(Map<String, Quantity> overhead, String at, List<String> problems) {
        if (overhead == null) {
            return;
        }
        overhead.forEach((resource, quantity) -> {
            try {
                if (quantity == null || Quantity.getAmountInBytes(quantity).signum() < 0) {
                    problems.add(at + "." + resource + " must be a non-negative quantity such as 10m or 16Mi");
                }
            } catch (IllegalArgumentException e) {
                problems.add(at + "." + resource + " \"" + quantity + "\" is not a quantity; write e.g. 10m or 16Mi");
            }
        });
    }

    private static void validateProfile(SandboxProfile profile, String at, List<String> problems) {
        List<String> capabilities = profile.allowedCapabilities() == null ? List.of() : profile.allowedCapabilities();
        for (int i = 0; i < capabilities.size(); i++) {
            String capability = capabilities.get(i);
            if (capability == null || !CAPABILITY.matcher(capability).matches() || capability.startsWith("CAP_")) {
                problems.add(at + ".allowedCapabilities[" + i + "] \"" + capability
                        + "\" must be a capability name without the CAP_ prefix, e.g. NET_BIND_SERVICE");
            } else if (!Capabilities.isKnown(capability)) {
                problems.add(at + ".allowedCapabilities[" + i + "] \"" + capability + "\" is not a Linux capability; "
                        + "use one of the names of capabilities(7) without the CAP_ prefix, e.g. NET_BIND_SERVICE");
            }
        }
        List<HostPathRule> hostPaths = profile.allowedHostPaths() == null ? List.of() : profile.allowedHostPaths();
        for (int i = 0; i < hostPaths.size(); i++) {
            String path = hostPaths.get(i).path();
            if (path == null || !path.startsWith("/") || path.contains("/../") || path.endsWith("/..")) {
                problems.add(at + ".allowedHostPaths[" + i + "].path \"" + path + "\" must be an absolute path without '..'");
            } else if (path.equals("/")) {
                problems.add(at + ".allowedHostPaths[" + i + "].path \"/\" would allow the host's whole filesystem; name the directories the pods need");
            }
        }
        if (profile.pidsLimit() != null && profile.pidsLimit() < 1) {
            problems.add(at + ".pidsLimit must be at least 1");
        }
        if (profile.maxRealtimePriority() != null && (profile.maxRealtimePriority() < 0 || profile.maxRealtimePriority() > 99)) {
            problems.add(at + ".maxRealtimePriority must be between 0 (no real-time scheduling) and 99, the kernel's highest priority");
        }
        if (profile.maxLockedMemoryBytes() != null && profile.maxLockedMemoryBytes() < SandboxProfile.UNLIMITED_LOCKED_MEMORY) {
            problems.add(at + ".maxLockedMemoryBytes must be a number of bytes, or -1 to allow RLIMIT_MEMLOCK unlimited");
        }
    }

    private PolicyValidator() {
    }
}
