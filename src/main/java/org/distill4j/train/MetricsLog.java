package org.distill4j.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.util.AtomicFiles;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * metrics.jsonl: one JSON object per logged step, appended and flushed as it happens. On resume the
 * file is cut back (atomically) to the rows at or before the checkpoint's step, so a resumed run's
 * file equals an uninterrupted run's; a row half-written by a killed process is dropped then too.
 */
public final class MetricsLog implements AutoCloseable {
    private final Path file;
    private final OutputStream out;

    public MetricsLog(Path file, long resumeStep) {
        this.file = file;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (resumeStep >= 0) {
                truncate(file, resumeStep);
            } else {
                Files.deleteIfExists(file);
            }
            out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UserError(file + ": cannot write metrics: " + e, e);
        }
    }

    private static void truncate(Path file, long step) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> keep = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                var node = Json.MAPPER.readTree(line);
                if (node != null && node.path("step").asLong(Long.MAX_VALUE) <= step) {
                    keep.add(line);
                }
            } catch (IOException partial) {
                // a line cut by a crash: dropped
            }
        }
        AtomicFiles.writeString(file, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
    }

    /** One row; a tree because its columns are each method's metric names (open-ended), see MetricsWindow. */
    public void write(ObjectNode row) {
        try {
            out.write(Json.bytes(row));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UserError(file + ": cannot write metrics: " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // rows were flushed as written
        }
    }
}
