package io.caspian.app;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** Prints API objects as an aligned text table, one column per {@link Column}. */
final class Table {
    record Column(String header, Function<JsonNode, String> value) {
    }

    private Table() {
    }

    static void print(PrintStream out, List<Column> columns, List<JsonNode> rows) {
        print(out, columns, rows, true);
    }

    /** Without the header line when {@code header} is false (a table that grows, as {@code events --follow}). */
    static void print(PrintStream out, List<Column> columns, List<JsonNode> rows, boolean header) {
        List<String[]> cells = new ArrayList<>();
        int[] width = new int[columns.size()];
        String[] head = new String[columns.size()];
        for (int c = 0; c < columns.size(); c++) {
            head[c] = columns.get(c).header();
            width[c] = head[c].length();
        }
        cells.add(head);
        for (JsonNode r : rows) {
            String[] line = new String[columns.size()];
            for (int c = 0; c < columns.size(); c++) {
                String v = columns.get(c).value().apply(r);
                line[c] = v == null || v.isEmpty() ? "-" : v;
                width[c] = Math.max(width[c], line[c].length());
            }
            cells.add(line);
        }
        for (String[] line : header ? cells : cells.subList(1, cells.size())) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < line.length; c++) {
                sb.append(line[c]);
                if (c < line.length - 1) {
                    sb.append(" ".repeat(width[c] - line[c].length() + 2));
                }
            }
            out.println(sb);
        }
    }

    static Column text(String header, String field) {
        return new Column(header, n -> n.path(field).asText(""));
    }

    static Column bytes(String header, String field) {
        return new Column(header, n -> n.has(field) ? Sizes.format(n.get(field).asLong()) : "");
    }

    /** {@code k=v,k=v} of a JSON object. */
    static String labels(JsonNode obj) {
        if (obj == null || !obj.isObject() || obj.size() == 0) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
            var e = it.next();
            sb.append(sb.length() == 0 ? "" : ",").append(e.getKey()).append('=').append(e.getValue().asText());
        }
        return sb.toString();
    }

    static String join(JsonNode array) {
        List<String> s = new ArrayList<>();
        array.forEach(n -> s.add(n.asText()));
        return String.join(",", s);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
