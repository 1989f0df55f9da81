package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * Paths as {@link SpecValidator} resolved and checked them (bind mount sources, hook programs,
 * cleaned mount destinations), for {@link SpecHardener} to write into the spec. runc then mounts
 * and runs the very paths that were checked: no link is left on the way, and the validator takes
 * only paths whose directories no container of the profile can write, so nothing can be swapped
 * in between.
 */
public record CheckedPaths(List<Pin> pins) {

    /** {@code holder.field} (a mount's source, a hook's path) of the validated spec is to be {@code path}. */
    public record Pin(ObjectNode holder, String field, String path) {
    }

    public CheckedPaths {
        pins = List.copyOf(pins);
    }

    void writeInto() {
        for (Pin pin : pins) {
            pin.holder().put(pin.field(), pin.path());
        }
    }
}
