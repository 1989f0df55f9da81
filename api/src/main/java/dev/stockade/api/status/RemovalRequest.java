package dev.stockade.api.status;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The value of the {@code stockade.dev/removal-requested} node annotation: which policy asks its
 * installer to uninstall from the node, and since when (the operator gives up waiting after a
 * timeout). Written as {@code <policy>@<RFC 3339 instant>}.
 */
public record RemovalRequest(String policy, Instant requestedAt) {

    public String format() {
        return policy + "@" + requestedAt;
    }

    /** Empty when the value is missing or not a removal request (someone else's edit). */
    public static Optional<RemovalRequest> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        int at = value.lastIndexOf('@');
        if (at <= 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(new RemovalRequest(value.substring(0, at), Instant.parse(value.substring(at + 1))));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
