package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code runc update}: new limits for a running container (the kubelet's in-place resize through
 * containerd or CRI-O, {@code docker update}). runc writes them into the container's cgroups as
 * root, so the profile's bounds on create hold here too: the pids limit is clamped to the profile's
 * pidsLimit exactly as on create (an update could otherwise lift the fork-bomb guard of a running
 * container), and unified cgroup files, device rules, net_cls/net_prio and Intel RDT schemata meet
 * the create rules of {@link SpecValidator}. Options and resource fields this class does not know
 * are refused rather than passed on.
 *
 * <p>Shapes: the options of runc 1.1–1.4's and crun's {@code update} ({@code --pids-limit N},
 * {@code --memory BYTES}…), and the LinuxResources object of the OCI runtime spec (config-linux.md,
 * "Control groups") that {@code --resources FILE|-} reads.
 */
public final class ResourceUpdate {

    /** update options that set the container's own CPU, memory or block I/O share: passed on as given. */
    static final Set<String> OWN_SHARE_OPTIONS = Set.of("blkio-weight", "cpu-period", "cpu-quota", "cpu-share", "cpu-rt-period",
            "cpu-rt-runtime", "cpu-idle", "cpu-burst", "cpuset-cpus", "cpuset-mems", "memory", "memory-reservation", "memory-swap",
            "kernel-memory", "kernel-memory-tcp");
    static final String PIDS_LIMIT_OPTION = "pids-limit";
    /** Intel RDT schemata: the share of the node's cache and memory bandwidth a resctrl group gets. */
    static final Set<String> RDT_OPTIONS = Set.of("l3-cache-schema", "mem-bw-schema");
    /** The LinuxResources fields (OCI runtime spec, config-linux.md). */
    static final Set<String> RESOURCE_FIELDS = Set.of("devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network",
            "rdma", "unified");

    /** One option of the command line, {@code --name value}. */
    public record Option(String name, String value) {
    }

    /** What is handed to the delegate: the options as checked, the resources as checked, what was clamped. */
    public record Checked(List<Option> options, Optional<ObjectNode> resources, List<String> clamped) {
    }

    private final SandboxProfile profile;
    private final String profileName;
    private final SpecValidator validator;

    public ResourceUpdate(SandboxProfile profile, String profileName, SpecValidator validator) {
        this.profile = profile;
        this.profileName = profileName;
        this.validator = validator;
    }

    /**
     * Checks an update's options and its resources object (from {@code --resources}, if given).
     * Throws a {@link Refusal} naming the option or field; returns the options and resources to run,
     * with the pids limit clamped.
     */
    public Checked check(List<Option> options, Optional<JsonNode> resources) throws Refusal {
        List<Option> checked = new ArrayList<>();
        List<String> clamped = new ArrayList<>();
        for (Option option : options) {
            if (OWN_SHARE_OPTIONS.contains(option.name())) {
                checked.add(option);
            } else if (option.name().equals(PIDS_LIMIT_OPTION)) {
                long requested = parseLimit(option.value(), "update --" + PIDS_LIMIT_OPTION);
                long limit = clampedPids(requested);
                if (limit != requested) {
                    clamped.add("--pids-limit " + requested + " to " + limit);
                }
                checked.add(new Option(PIDS_LIMIT_OPTION, Long.toString(limit)));
            } else if (RDT_OPTIONS.contains(option.name())) {
                throw new Refusal("update --" + option.name(), "intel-rdt",
                        "runc would write the schemata of the container's resctrl group, the share of the node's cache and memory bandwidth "
                                + "that every process in it gets; sandbox profile " + profileName + " lets a container only join a class the node prepared");
            } else {
                throw new Refusal("update --" + option.name(), "update",
                        "is not an update option the sandbox runtime knows, so it cannot check what it changes; the options it passes on are --"
                                + PIDS_LIMIT_OPTION + " and --" + String.join(", --", OWN_SHARE_OPTIONS.stream().sorted().toList()));
            }
        }
        return new Checked(checked, resources.isEmpty() ? Optional.empty() : Optional.of(checkResources(resources.get(), clamped)), clamped);
    }

    private ObjectNode checkResources(JsonNode resources, List<String> clamped) throws Refusal {
        if (!(resources instanceof ObjectNode object)) {
            throw new Refusal("update --resources", "update", "is not a JSON object of the OCI runtime spec's linux.resources");
        }
        SpecKeys.check(object, "update --resources: linux.resources");
        ObjectNode copy = object.deepCopy();
        for (String field : (Iterable<String>) copy::fieldNames) {
            if (!RESOURCE_FIELDS.contains(field)) {
                throw new Refusal("update --resources: " + field, "update",
                        "is not a field of the OCI runtime spec's linux.resources that the sandbox runtime knows, so it cannot check what it "
                                + "changes; the fields it checks are " + RESOURCE_FIELDS.stream().sorted().toList());
            }
        }
        // The create rules, on a spec holding only these resources.
        ObjectNode spec = JsonNodeFactory.instance.objectNode();
        spec.putObject("linux").set("resources", copy);
        try {
            validator.checkDevices(spec);
            validator.checkCgroupFiles(spec);
            validator.checkNetworkClass(spec);
        } catch (Refusal refusal) {
            throw new Refusal("update --resources: " + refusal.field(), refusal.rule(), refusal.detail());
        }
        JsonNode pids = copy.path("pids");
        if (pids instanceof ObjectNode pidsObject && pidsObject.has("limit")) {
            JsonNode value = pidsObject.get("limit");
            if (!value.isIntegralNumber() || !value.canConvertToLong()) {
                throw new Refusal("update --resources: linux.resources.pids.limit", "update", value + " is not a whole number of processes");
            }
            long limit = clampedPids(value.asLong());
            if (limit != value.asLong()) {
                clamped.add("pids.limit " + value.asLong() + " to " + limit);
                pidsObject.put("limit", limit);
            }
        } else if (!pids.isMissingNode() && !pids.isNull() && !(pids instanceof ObjectNode)) {
            throw new Refusal("update --resources: linux.resources.pids", "update", "is not an object");
        }
        return copy;
    }

    /**
     * runc's pids limit: 0 leaves it as it is, a negative one (-1) lifts it ("max"); anything over
     * the profile's pidsLimit, or none, becomes the profile's.
     */
    private long clampedPids(long requested) {
        if (requested == 0) {
            return 0;
        }
        return requested < 0 ? profile.pidsLimit() : Math.min(requested, profile.pidsLimit());
    }

    private static long parseLimit(String value, String field) throws Refusal {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new Refusal(field, "update", "'" + value + "' is not a whole number of processes");
        }
    }

    /** Options as the delegate's command line takes them. */
    public static List<String> arguments(List<Option> options) {
        List<String> arguments = new ArrayList<>();
        for (Option option : options) {
            arguments.add("--" + option.name() + "=" + option.value());
        }
        return arguments;
    }
}
