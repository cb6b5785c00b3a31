package org.distill4j.util;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** JSON Lines: one JSON object per line; blank lines are skipped; errors name the file and line. */
public final class Jsonl {
    private Jsonl() {}

    /** A record and the 1-based line it came from; a tree, since input records carry fields we do not model. */
    public record Line(int number, ObjectNode value) {
        /** A required text field, with a clear error naming file and line. */
        public String text(Path file, String field) {
            JsonNode v = value.get(field);
            if (v == null || !v.isTextual()) {
                throw new UserError(file + ":" + number + ": missing or non-text field '" + field + "'");
            }
            return v.asText();
        }
    }

    public static List<Line> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + ": file not found");
        }
        List<Line> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new UserError(file + ":" + n + ": malformed JSON: " + e.getOriginalMessage());
                }
                if (!(node instanceof ObjectNode obj)) {
                    throw new UserError(file + ":" + n + ": expected a JSON object");
                }
                out.add(new Line(n, obj));
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new UserError(file + ": not valid UTF-8");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        return out;
    }

    /** Writes records (Java records or trees) atomically, one compact JSON object per line. */
    public static void write(Path file, List<?> records) {
        AtomicFiles.write(file, out -> {
            for (Object r : records) {
                out.write(Json.bytes(r));
                out.write('\n');
            }
        });
    }
}
