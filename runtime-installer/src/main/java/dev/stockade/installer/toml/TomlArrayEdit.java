package dev.stockade.installer.toml;

import java.util.Optional;

/**
 * Minimal textual edits of one top-level array of strings (containerd's {@code imports}) in a
 * TOML file that Stockade does not own. Re-serialising the whole file would lose the host's
 * comments and layout, so only the few characters Stockade adds are inserted or removed. This is
 * a scanner for strings, comments and brackets, not a parser: callers parse the result with a
 * real TOML parser and compare before using it.
 */
public final class TomlArrayEdit {

    /**
     * Adds a string to the top-level array {@code key}, at its end, or inserts a new
     * {@code key = ["value"]} line after a top-level {@code version} line (else at the top).
     */
    public static String append(String text, String key, String value) {
        String quoted = TomlDocuments.quoteString(value);
        Optional<int[]> array = findTopLevelArray(text, key);
        if (array.isEmpty()) {
            String line = key + " = [" + quoted + "]\n";
            int at = lineAfterTopLevelKey(text, "version");
            if (at == text.length() && !text.isEmpty() && !text.endsWith("\n")) {
                at = 0;
            }
            return text.substring(0, at) + line + text.substring(at);
        }
        int open = array.get()[0];
        int close = array.get()[1];
        int last = lastSignificant(text, open + 1, close);
        if (last < 0) {
            return text.substring(0, open + 1) + quoted + text.substring(open + 1);
        }
        // Keep the array's style: after a trailing comma the new entry gets one too.
        String insertion = text.charAt(last) == ',' ? " " + quoted + "," : ", " + quoted;
        return text.substring(0, last + 1) + insertion + text.substring(last + 1);
    }

    /**
     * Removes a string from the top-level array {@code key} together with the comma before it
     * (or after it, when it is first); removes the whole line when the array held only that
     * string and the line holds nothing else. Returns the text unchanged when the value is absent.
     */
    public static String remove(String text, String key, String value) {
        Optional<int[]> array = findTopLevelArray(text, key);
        if (array.isEmpty()) {
            return text;
        }
        int open = array.get()[0];
        int close = array.get()[1];
        int[] token = findStringToken(text, open + 1, close, value);
        if (token == null) {
            return text;
        }
        int start = token[0];
        int end = token[1];
        int before = previousSignificant(text, open + 1, start);
        if (before >= 0 && text.charAt(before) == ',') {
            start = before;
        } else {
            int after = nextSignificant(text, end, close);
            if (after >= 0 && text.charAt(after) == ',') {
                end = after + 1;
                while (end < close && text.charAt(end) == ' ') {
                    end++;
                }
            }
        }
        String edited = text.substring(0, start) + text.substring(end);
        return removeLineIfEmptyArray(edited, key);
    }

    private static String removeLineIfEmptyArray(String text, String key) {
        Optional<int[]> array = findTopLevelArray(text, key);
        if (array.isEmpty()) {
            return text;
        }
        int open = array.get()[0];
        int close = array.get()[1];
        if (lastSignificant(text, open + 1, close) >= 0 || text.substring(open + 1, close).contains("#")) {
            return text;
        }
        int lineStart = text.lastIndexOf('\n', open) + 1;
        int lineEnd = text.indexOf('\n', close);
        String line = text.substring(lineStart, lineEnd < 0 ? text.length() : lineEnd);
        if (!line.strip().matches(java.util.regex.Pattern.quote(key) + "\\s*=\\s*\\[\\s*]")) {
            return text;
        }
        return text.substring(0, lineStart) + (lineEnd < 0 ? "" : text.substring(lineEnd + 1));
    }

    /** Positions of '[' and ']' of {@code key = [...]} before the first table header, if present. */
    static Optional<int[]> findTopLevelArray(String text, String key) {
        int i = 0;
        while (i < text.length()) {
            int lineEnd = text.indexOf('\n', i);
            if (lineEnd < 0) {
                lineEnd = text.length();
            }
            String line = text.substring(i, lineEnd);
            String stripped = line.stripLeading();
            if (stripped.startsWith("[")) {
                return Optional.empty();
            }
            int keyStart = i + (line.length() - stripped.length());
            String keyPattern = "(" + java.util.regex.Pattern.quote(key) + "|\"" + java.util.regex.Pattern.quote(key)
                    + "\"|'" + java.util.regex.Pattern.quote(key) + "')\\s*=.*";
            if (stripped.matches(keyPattern)) {
                int equals = text.indexOf('=', keyStart);
                int open = nextSignificantAcrossLines(text, equals + 1);
                if (open < 0 || text.charAt(open) != '[') {
                    return Optional.empty();
                }
                int close = matchingBracket(text, open);
                return close < 0 ? Optional.empty() : Optional.of(new int[] {open, close});
            }
            i = skipValueLines(text, i, lineEnd);
        }
        return Optional.empty();
    }

    /** Skips a key/value that may span lines (multi-line arrays or strings); returns the next line start. */
    private static int skipValueLines(String text, int lineStart, int lineEnd) {
        int depth = 0;
        int i = lineStart;
        while (i < text.length()) {
            int skipped = skipCommentOrString(text, i);
            if (skipped != i) {
                i = skipped;
                continue;
            }
            char c = text.charAt(i);
            if (c == '[') {
                depth++;
            } else if (c == ']' && depth > 0) {
                depth--;
            } else if (c == '\n' && depth == 0) {
                return i + 1;
            }
            i++;
        }
        return text.length();
    }

    private static int lineAfterTopLevelKey(String text, String key) {
        int i = 0;
        while (i < text.length()) {
            int lineEnd = text.indexOf('\n', i);
            String line = text.substring(i, lineEnd < 0 ? text.length() : lineEnd).strip();
            if (line.startsWith("[")) {
                return 0;
            }
            if (line.matches(java.util.regex.Pattern.quote(key) + "\\s*=\\s*[0-9]+\\s*(#.*)?")) {
                return lineEnd < 0 ? text.length() : lineEnd + 1;
            }
            if (lineEnd < 0) {
                break;
            }
            i = lineEnd + 1;
        }
        return 0;
    }

    private static int matchingBracket(String text, int open) {
        int depth = 0;
        int i = open;
        while (i < text.length()) {
            int skipped = skipCommentOrString(text, i);
            if (skipped != i) {
                i = skipped;
                continue;
            }
            char c = text.charAt(i);
            if (c == '[') {
                depth++;
            } else if (c == ']' && --depth == 0) {
                return i;
            }
            i++;
        }
        return -1;
    }

    /** When a comment or a string starts at {@code i}, the index just after it; otherwise {@code i}. */
    private static int skipCommentOrString(String text, int i) {
        char c = text.charAt(i);
        if (c == '#') {
            int end = text.indexOf('\n', i);
            return end < 0 ? text.length() : end;
        }
        return c == '"' || c == '\'' ? endOfString(text, i) : i;
    }

    /** Index just after the string starting at {@code start} (basic or literal, single-line or multi-line). */
    private static int endOfString(String text, int start) {
        char quote = text.charAt(start);
        String triple = String.valueOf(quote).repeat(3);
        if (text.startsWith(triple, start)) {
            int end = text.indexOf(triple, start + 3);
            return end < 0 ? text.length() : end + 3;
        }
        int i = start + 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (quote == '"' && c == '\\') {
                i += 2;
                continue;
            }
            if (c == quote || c == '\n') {
                return i + 1;
            }
            i++;
        }
        return text.length();
    }

    private static int[] findStringToken(String text, int from, int to, String value) {
        int i = from;
        while (i < to) {
            int skipped = skipCommentOrString(text, i);
            String token = text.substring(i, skipped);
            if (token.equals(TomlDocuments.quoteString(value)) || token.equals("'" + value + "'")) {
                return new int[] {i, skipped};
            }
            i = skipped == i ? i + 1 : skipped;
        }
        return null;
    }

    /** Last character in [from, to) that is neither white space nor inside a comment; -1 if none. */
    private static int lastSignificant(String text, int from, int to) {
        int last = -1;
        int i = from;
        while (i < to) {
            int skipped = skipCommentOrString(text, i);
            if (skipped != i) {
                if (text.charAt(i) != '#') {
                    last = skipped - 1;
                }
                i = skipped;
                continue;
            }
            if (!Character.isWhitespace(text.charAt(i))) {
                last = i;
            }
            i++;
        }
        return last;
    }

    private static int previousSignificant(String text, int from, int before) {
        return lastSignificant(text, from, before);
    }

    private static int nextSignificant(String text, int from, int to) {
        int i = from;
        while (i < to) {
            int skipped = skipCommentOrString(text, i);
            if (skipped != i && text.charAt(i) == '#') {
                i = skipped;
                continue;
            }
            if (!Character.isWhitespace(text.charAt(i))) {
                return i;
            }
            i++;
        }
        return -1;
    }

    private static int nextSignificantAcrossLines(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private TomlArrayEdit() {
    }
}
