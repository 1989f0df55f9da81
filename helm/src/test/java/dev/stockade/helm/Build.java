package dev.stockade.helm;

import java.nio.file.Files;
import java.nio.file.Path;

/** What the Maven build passes in: the image names from the root pom, the version, the repository. */
final class Build {

    static String operatorImage() {
        return property("stockade.operator.image");
    }

    static String installerImage() {
        return property("stockade.installer.image");
    }

    static String version() {
        return property("stockade.version");
    }

    static Path repositoryRoot() {
        return Path.of(property("stockade.repository.root")).toAbsolutePath().normalize();
    }

    static Path chart() {
        return repositoryRoot().resolve("helm/stockade");
    }

    /** Set by manifests/regenerate: the generated files are rewritten instead of compared. */
    static boolean regenerate() {
        return Boolean.getBoolean("stockade.regenerate");
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new AssertionError("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank() || value.contains("${")) {
            throw new IllegalStateException("system property " + name + " is not set; run the tests through Maven"
                    + " (./mvnw -pl helm verify), which passes it from the root pom");
        }
        return value;
    }

    private Build() {
    }
}
