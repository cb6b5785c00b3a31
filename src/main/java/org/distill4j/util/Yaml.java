package org.distill4j.util;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;

/** The one YAML mapper (run configs, --config files) and its two uses: a record written atomically, and read back. */
public final class Yaml {
    public static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());

    private Yaml() {}

    /** Writes {@code value} as YAML, atomically. */
    public static void write(Path file, Object value) {
        try {
            AtomicFiles.writeString(file, MAPPER.writeValueAsString(value));
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Reads a {@code type} written by {@link #write}; a bad file is an error naming it as {@code what}. */
    public static <T> T read(Path file, Class<T> type, String what) {
        try {
            return MAPPER.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new UserError(file + ": not " + what + ": " + e.getMessage(), e);
        }
    }
}
