package dev.stockade.installer.toml;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The textual imports edit keeps every other byte of the host's file, and undoes itself exactly. */
class TomlArrayEditTest {

    private static final String ENTRY = "/etc/containerd/conf.d/stockade.toml";

    @Test
    void newImportsLineGoesRightAfterTheVersionLine() {
        String host = "# node image config\nversion = 2\n\n[plugins]\n  x = 1\n";

        assertEquals("# node image config\nversion = 2\nimports = [\"" + ENTRY + "\"]\n\n[plugins]\n  x = 1\n",
                TomlArrayEdit.append(host, "imports", ENTRY));
    }

    @Test
    void entryIsAppendedToAMultiLineArrayWithCommentsAndTrailingComma() {
        String host = "version = 2\nimports = [\n  \"/a.toml\", # site\n  # more later\n]\n[x]\nimports = [\"not-top-level\"]\n";

        String edited = TomlArrayEdit.append(host, "imports", ENTRY);

        assertEquals("version = 2\nimports = [\n  \"/a.toml\", \"" + ENTRY + "\", # site\n  # more later\n]\n[x]\nimports = [\"not-top-level\"]\n", edited);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "version = 2\n\n[plugins]\n",
            "version = 2\nimports = [\"/a.toml\"]\n",
            "version = 2\nimports = ['/a.toml', \"/b.toml\",]\n",
            "imports = [\n  \"/a.toml\" # comment with ] and \"quotes\"\n]\nversion = 2\n",
            "version = 2",
    })
    void removeUndoesAppendByteForByte(String host) {
        String edited = TomlArrayEdit.append(host, "imports", ENTRY);

        assertEquals(host, TomlArrayEdit.remove(edited, "imports", ENTRY));
    }

    @Test
    void removeLeavesAFileWithoutTheEntryAlone() {
        String host = "version = 2\nimports = [\"/a.toml\"] # keep\n";

        assertEquals(host, TomlArrayEdit.remove(host, "imports", ENTRY));
    }
}
