package org.distill4j.util;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** One shared Jackson mapper and the few JSON helpers the project needs. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.INDENT_OUTPUT, false);

    private Json() {}

    /** Reads a JSON file, naming the file in the error when it is missing or malformed. */
    public static JsonNode read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + ": file not found");
        }
        try {
            return MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new UserError(file + ": malformed JSON at line " + e.getLocation().getLineNr() + ": "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static String compact(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String pretty(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes pretty JSON atomically (temp file + rename). */
    public static void write(Path file, Object value) {
        AtomicFiles.writeString(file, pretty(value) + "\n");
    }

    public static byte[] bytes(Object value) {
        return compact(value).getBytes(StandardCharsets.UTF_8);
    }

    /** A record component's value where JSON wants null for a non-finite number (Jackson would write "NaN"). */
    public static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
