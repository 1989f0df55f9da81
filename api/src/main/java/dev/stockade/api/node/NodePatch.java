package dev.stockade.api.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The JSON patch (RFC 6902) by which Stockade writes a Node: the operator's pool label, taint and
 * removal request, and the installer's ready label and status annotation. Both writers build it
 * here, so they follow the same three rules:
 * <ul>
 *   <li><b>Guard.</b> The first operation replaces {@code /metadata/resourceVersion} with the
 *       version the change was computed from. The API server refuses the patch with 409 Conflict
 *       when anyone wrote the node in between (taints are one list, so a stale write would drop
 *       another owner's taint), and the writer recomputes from a fresh read.</li>
 *   <li><b>Escape.</b> Label and annotation keys in paths are JSON pointer tokens (RFC 6901 §4:
 *       {@code ~} as {@code ~0}, {@code /} as {@code ~1}).</li>
 *   <li><b>Missing map.</b> A node without labels or annotations (absent or empty) gets the whole
 *       map in one {@code add}: a per-key {@code add} needs its parent to exist (RFC 6902 §4.1).</li>
 * </ul>
 * Only keys the caller sets or removes change; every other label, annotation and taint is carried
 * as the node had it. No operation at all when nothing changes.
 */
public final class NodePatch {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final String resourceVersion;
    private final Map<String, String> labels;
    private final Map<String, String> annotations;
    private final List<?> taints;
    private final Map<String, String> newLabels;
    private final Map<String, String> newAnnotations;
    private List<?> newTaints;

    private NodePatch(String resourceVersion, Map<String, String> labels, Map<String, String> annotations, List<?> taints) {
        this.resourceVersion = Objects.requireNonNull(resourceVersion, "a node patch needs the node's resourceVersion");
        this.labels = copy(labels);
        this.annotations = copy(annotations);
        this.taints = taints == null ? List.of() : List.copyOf(taints);
        this.newLabels = copy(labels);
        this.newAnnotations = copy(annotations);
        this.newTaints = this.taints;
    }

    /**
     * Starts from the node as read: its {@code metadata.resourceVersion}, labels, annotations and
     * {@code spec.taints} (any of them may be null). Taints are compared with {@code equals} and
     * written as Jackson serializes them.
     */
    public static NodePatch of(String resourceVersion, Map<String, String> labels, Map<String, String> annotations,
                               List<?> taints) {
        return new NodePatch(resourceVersion, labels, annotations, taints);
    }

    public NodePatch setLabel(String key, String value) {
        newLabels.put(key, Objects.requireNonNull(value, key));
        return this;
    }

    /** Removes the label only while it still has {@code value}: another owner's value stays. */
    public NodePatch removeLabel(String key, String value) {
        newLabels.remove(key, value);
        return this;
    }

    public NodePatch removeLabel(String key) {
        newLabels.remove(key);
        return this;
    }

    public NodePatch setAnnotation(String key, String value) {
        newAnnotations.put(key, Objects.requireNonNull(value, key));
        return this;
    }

    public NodePatch removeAnnotation(String key) {
        newAnnotations.remove(key);
        return this;
    }

    /** The node's whole taint list after the change (JSON patch cannot address a list element by key). */
    public NodePatch taints(List<?> taints) {
        this.newTaints = List.copyOf(taints);
        return this;
    }

    /** The RFC 6902 operations, guard first; empty when the node already is as wanted. */
    public Optional<List<Map<String, Object>>> operations() {
        List<Map<String, Object>> ops = new ArrayList<>();
        mapOps("/metadata/labels", labels, newLabels, ops);
        mapOps("/metadata/annotations", annotations, newAnnotations, ops);
        if (!newTaints.equals(taints)) {
            // "add" sets the member whether or not the server has one (an empty list may be absent).
            ops.add(op("add", "/spec/taints", newTaints));
        }
        if (ops.isEmpty()) {
            return Optional.empty();
        }
        ops.addFirst(op("replace", "/metadata/resourceVersion", resourceVersion));
        return Optional.of(List.copyOf(ops));
    }

    /** {@link #operations()} as the JSON body of a {@code application/json-patch+json} request. */
    public Optional<String> toJson() {
        return operations().map(NodePatch::toJson);
    }

    /** Operations from {@link #operations()} as the JSON body of the request. */
    public static String toJson(List<Map<String, Object>> operations) {
        try {
            return JSON.writeValueAsString(operations);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the node patch " + operations, e);
        }
    }

    /** A label or annotation key as a JSON pointer token (RFC 6901 §4). */
    public static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static void mapOps(String path, Map<String, String> before, Map<String, String> after,
                               List<Map<String, Object>> ops) {
        if (before.equals(after)) {
            return;
        }
        if (before.isEmpty()) {
            ops.add(op("add", path, new LinkedHashMap<>(after)));
            return;
        }
        for (String key : before.keySet()) {
            if (!after.containsKey(key)) {
                ops.add(op("remove", path + "/" + escape(key), null));
            }
        }
        for (Map.Entry<String, String> entry : after.entrySet()) {
            if (!Objects.equals(before.get(entry.getKey()), entry.getValue())) {
                ops.add(op("add", path + "/" + escape(entry.getKey()), entry.getValue()));
            }
        }
    }

    private static Map<String, Object> op(String op, String path, Object value) {
        Map<String, Object> operation = new LinkedHashMap<>();
        operation.put("op", op);
        operation.put("path", path);
        if (!"remove".equals(op)) {
            operation.put("value", value);
        }
        return operation;
    }

    private static Map<String, String> copy(Map<String, String> map) {
        return map == null ? new LinkedHashMap<>() : new LinkedHashMap<>(map);
    }
}
