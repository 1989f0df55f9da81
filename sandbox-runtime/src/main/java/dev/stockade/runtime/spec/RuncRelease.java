package dev.stockade.runtime.spec;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A runc release as the first line of {@code runc --version} names it ("runc version 1.1.5+ds1"),
 * and whether it resolves mount destinations safely. Until the fixes for CVE-2025-52881
 * (GHSA-cgrx-mc8f-2prm: "rootfs: switch to fd-based handling of mountpoint targets", with the
 * procfs and /dev checks of CVE-2025-31133 and CVE-2025-52565) runc looks a destination up in the
 * container's root when it mounts it, following links, and then trusts what it finds in /dev and
 * /proc as root. Those fixes are in 1.2.8, 1.3.3 and 1.4.0-rc.3, and in every later release.
 */
record RuncRelease(int major, int minor, int patch, String preRelease) {

    /** The first releases of each branch with the fixes, for messages. */
    static final String FIXED = "1.2.8, 1.3.3 or 1.4.0-rc.3";

    /** "runc version X.Y.Z", an optional "-pre-release" and an optional "+build" (Debian's "+ds1"). */
    private static final Pattern VERSION_LINE = Pattern.compile(
            "runc version (\\d{1,6})\\.(\\d{1,6})\\.(\\d{1,6})(?:-([0-9A-Za-z.~-]+))?(?:\\+[0-9A-Za-z.~+-]*)?");
    private static final Pattern RELEASE_CANDIDATE = Pattern.compile("rc\\.(\\d{1,6})");

    /** The release {@code versionOutput} names, or empty when it is not runc's or cannot be read. */
    static Optional<RuncRelease> of(String versionOutput) {
        if (versionOutput == null) {
            return Optional.empty();
        }
        String firstLine = versionOutput.lines().findFirst().orElse("").strip();
        Matcher matcher = VERSION_LINE.matcher(firstLine);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        return Optional.of(new RuncRelease(Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)),
                Integer.parseInt(matcher.group(3)), matcher.group(4) == null ? "" : matcher.group(4)));
    }

    /**
     * Whether this release has the fixes. A pre-release counts only on 1.4.0 (from rc.3) and after
     * the fixed releases; a distribution's own version of an older branch ("1.1.12-0ubuntu3")
     * does not, whatever it backported: the runtime cannot tell.
     */
    boolean resolvesMountDestinationsSafely() {
        if (major != 1) {
            return major > 1;
        }
        return switch (minor) {
            case 0, 1 -> false;
            case 2 -> patch > 8 || patch == 8 && preRelease.isEmpty();
            case 3 -> patch > 3 || patch == 3 && preRelease.isEmpty();
            case 4 -> patch > 0 || preRelease.isEmpty() || releaseCandidate() >= 3;
            default -> minor > 4;
        };
    }

    private int releaseCandidate() {
        Matcher matcher = RELEASE_CANDIDATE.matcher(preRelease);
        return matcher.matches() ? Integer.parseInt(matcher.group(1)) : -1;
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch + (preRelease.isEmpty() ? "" : "-" + preRelease);
    }
}
