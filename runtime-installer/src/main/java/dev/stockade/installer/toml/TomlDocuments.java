package dev.stockade.installer.toml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.toml.TomlReadFeature;
import dev.stockade.installer.InstallerException;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads TOML with jackson-dataformat-toml and writes the small documents Stockade owns (drop-ins,
 * managed blocks) with table headers, the form every TOML reader of the container runtimes accepts.
 * Everything written is parsed back and compared before it may reach the host.
 */
public final class TomlDocuments {

    /** Datetimes come back as Java time objects, so that a document holding one is refused, not turned into a string. */
    private static final TomlMapper MAPPER = TomlMapper.builder().enable(TomlReadFeature.PARSE_JAVA_TIME).build();
    private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    /** Parses a host file; the exception names the file and says it is left untouched. */
    public static ObjectNode parse(String hostPath, String content) throws InstallerException {
        try {
            JsonNode tree = MAPPER.readTree(content);
            return tree == null || tree.isMissingNode() ? JsonNodeFactory.instance.objectNode() : (ObjectNode) tree;
        } catch (IOException e) {
            throw new InstallerException(hostPath + " is not valid TOML (" + firstLine(e.getMessage())
                    + "); the installer left it untouched. Fix the file (the container runtime cannot read it either) and the installer will retry.", e);
        }
    }

    /** Renders a tree: key/values of a table first, then its sub-tables under {@code [headers]}. */
    public static String write(ObjectNode document) {
        StringBuilder out = new StringBuilder();
        writeTable(out, "", document, true);
        return out.toString();
    }

    /** {@link #write}, then parses the text back and fails unless it reads as the same tree. */
    public static String writeChecked(String hostPath, ObjectNode document) throws InstallerException {
        String text;
        try {
            text = write(document);
        } catch (IllegalArgumentException e) {
            throw new InstallerException("cannot write " + hostPath + ": " + e.getMessage()
                    + "; the installer changed nothing. Replace that value in the host's configuration.", e);
        }
        ObjectNode reread = parse(hostPath, text);
        if (!reread.equals(document)) {
            throw new InstallerException("internal error: the TOML written for " + hostPath
                    + " does not read back as intended; nothing was written");
        }
        return text;
    }

    public static String quoteKey(String key) {
        return BARE_KEY.matcher(key).matches() ? key : quoteString(key);
    }

    public static String quoteString(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** Deep copy of {@code overlay} merged into {@code base}: tables merge, everything else is replaced. */
    public static void deepMerge(ObjectNode base, ObjectNode overlay) {
        for (Map.Entry<String, JsonNode> entry : overlay.properties()) {
            JsonNode existing = base.get(entry.getKey());
            if (existing instanceof ObjectNode existingTable && entry.getValue() instanceof ObjectNode overlayTable) {
                deepMerge(existingTable, overlayTable);
            } else {
                base.set(entry.getKey(), entry.getValue().deepCopy());
            }
        }
    }

    /** The table at a path, created when missing. */
    public static ObjectNode table(ObjectNode root, String... path) {
        ObjectNode current = root;
        for (String key : path) {
            JsonNode child = current.get(key);
            if (child instanceof ObjectNode table) {
                current = table;
            } else {
                current = current.putObject(key);
            }
        }
        return current;
    }

    private static void writeTable(StringBuilder out, String header, ObjectNode table, boolean root) {
        boolean hasValues = false;
        StringBuilder values = new StringBuilder();
        for (Map.Entry<String, JsonNode> entry : table.properties()) {
            JsonNode value = entry.getValue();
            if (value.isObject() || isArrayOfTables(value)) {
                continue;
            }
            values.append(quoteKey(entry.getKey())).append(" = ").append(inlineValue(value)).append('\n');
            hasValues = true;
        }
        boolean hasSubTables = false;
        for (JsonNode value : table) {
            hasSubTables |= value.isObject() || isArrayOfTables(value);
        }
        if (!root && (hasValues || !hasSubTables)) {
            out.append('[').append(header).append("]\n");
        }
        out.append(values);
        for (Map.Entry<String, JsonNode> entry : table.properties()) {
            String childHeader = (root ? "" : header + ".") + quoteKey(entry.getKey());
            JsonNode value = entry.getValue();
            if (value instanceof ObjectNode child) {
                writeTable(out, childHeader, child, false);
            } else if (isArrayOfTables(value)) {
                for (JsonNode element : value) {
                    out.append("[[").append(childHeader).append("]]\n");
                    writeArrayElement(out, childHeader, (ObjectNode) element);
                }
            }
        }
    }

    private static void writeArrayElement(StringBuilder out, String header, ObjectNode element) {
        for (Map.Entry<String, JsonNode> entry : element.properties()) {
            out.append(quoteKey(entry.getKey())).append(" = ").append(inlineValue(entry.getValue())).append('\n');
        }
    }

    private static boolean isArrayOfTables(JsonNode value) {
        if (!value.isArray() || value.isEmpty()) {
            return false;
        }
        for (JsonNode element : value) {
            if (!element.isObject()) {
                return false;
            }
        }
        return true;
    }

    private static String inlineValue(JsonNode value) {
        if (value.isTextual()) {
            return quoteString(value.textValue());
        }
        if (value.isBoolean() || value.isIntegralNumber()) {
            return value.asText();
        }
        if (value.isFloatingPointNumber()) {
            double number = value.doubleValue();
            if (Double.isNaN(number)) {
                return "nan";
            }
            if (Double.isInfinite(number)) {
                return number > 0 ? "inf" : "-inf";
            }
            return Double.toString(number);
        }
        if (value instanceof ArrayNode array) {
            StringBuilder out = new StringBuilder("[");
            Iterator<JsonNode> elements = array.elements();
            while (elements.hasNext()) {
                out.append(inlineValue(elements.next()));
                if (elements.hasNext()) {
                    out.append(", ");
                }
            }
            return out.append(']').toString();
        }
        if (value instanceof ObjectNode table) {
            StringBuilder out = new StringBuilder("{");
            Iterator<Map.Entry<String, JsonNode>> entries = table.properties().iterator();
            while (entries.hasNext()) {
                Map.Entry<String, JsonNode> entry = entries.next();
                out.append(quoteKey(entry.getKey())).append(" = ").append(inlineValue(entry.getValue()));
                if (entries.hasNext()) {
                    out.append(", ");
                }
            }
            return out.append('}').toString();
        }
        throw new IllegalArgumentException("cannot carry a TOML value of type " + value.getNodeType()
                + " (" + value + ") into a Stockade drop-in");
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private TomlDocuments() {
    }
}
