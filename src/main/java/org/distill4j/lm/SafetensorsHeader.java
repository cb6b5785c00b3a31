package org.distill4j.lm;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.distill4j.lm.Safetensors.DType;
import org.distill4j.lm.Safetensors.TensorInfo;
import org.distill4j.util.AtomicFiles;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * A safetensors header: a JSON object of tensor name → {dtype, shape, data_offsets} in file order, and
 * {@code __metadata__} (string → string). Read with validation (offsets inside the data section, sizes that match
 * shape × dtype, no overlaps); written from one {@link Entry} record per tensor, the map itself being open.
 */
final class SafetensorsHeader {
    private static final String METADATA = "__metadata__";

    private SafetensorsHeader() {}

    /** One tensor's header entry; {@code data_offsets} are [begin, end) in the data section. */
    record Entry(String dtype, long[] shape, @JsonProperty("data_offsets") long[] dataOffsets) {}

    /** What a header says: tensors in file order and the metadata. */
    record Parsed(Map<String, TensorInfo> tensors, Map<String, String> metadata) {}

    /**
     * Parses and validates a header.
     *
     * @param dataSize bytes after the header, which every tensor must lie within
     * @param bad      makes the error for a header that is not valid safetensors
     */
    static Parsed parse(String json, long dataSize, Function<String, UserError> bad) {
        JsonNode root; // a tree: tensor names are keys, and a malformed entry must be named in the error
        try {
            root = Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw bad.apply("header is not valid JSON (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw bad.apply("header is not a JSON object");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> byOffset = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals(METADATA)) {
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            TensorInfo info = tensor(name, v, dataSize, bad);
            tensors.put(name, info);
            byOffset.add(info);
        }
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo a = byOffset.get(i - 1);
            TensorInfo b = byOffset.get(i);
            if (b.begin() < a.end()) {
                throw bad.apply("tensors '" + a.name() + "' and '" + b.name() + "' overlap");
            }
        }
        return new Parsed(tensors, metadata);
    }

    private static TensorInfo tensor(String name, JsonNode v, long dataSize, Function<String, UserError> bad) {
        DType dtype;
        try {
            dtype = DType.valueOf(v.path("dtype").asText());
        } catch (IllegalArgumentException ex) {
            throw bad.apply("tensor '" + name + "' has unsupported dtype '" + v.path("dtype").asText() + "'");
        }
        JsonNode shapeNode = v.path("shape");
        JsonNode offsets = v.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw bad.apply("tensor '" + name + "' lacks shape or data_offsets");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw bad.apply("tensor '" + name + "' has a negative dimension");
            }
        }
        TensorInfo info = new TensorInfo(name, dtype, shape, offsets.get(0).asLong(-1), offsets.get(1).asLong(-1));
        if (info.begin() < 0 || info.end() < info.begin() || info.end() > dataSize) {
            throw bad.apply("tensor '" + name + "' has data_offsets [" + info.begin() + ", " + info.end()
                    + "] outside the data section of " + dataSize + " bytes (truncated file?)");
        }
        if (info.elements() * dtype.bytes != info.end() - info.begin()) {
            throw bad.apply("tensor '" + name + "' has shape " + Arrays.toString(shape) + " × " + dtype + " = "
                    + info.elements() * dtype.bytes + " bytes but its data_offsets span " + (info.end() - info.begin()));
        }
        return info;
    }

    /** Entries for tensors laid out back to back in the given order, each shape × dtype bytes long. */
    static Map<String, Entry> layout(Map<String, long[]> shapes, Function<String, DType> dtypes) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            DType dtype = dtypes.apply(e.getKey());
            long n = 1;
            for (long d : e.getValue()) {
                n *= d;
            }
            long len = n * dtype.bytes;
            entries.put(e.getKey(), new Entry(dtype.name(), e.getValue().clone(), new long[] {offset, offset + len}));
            offset += len;
        }
        return entries;
    }

    /**
     * Writes the header's length, the header (metadata first, padded with spaces to 8-byte alignment, as the format
     * asks), then the data, atomically.
     */
    static void write(Path file, Map<String, String> metadata, Map<String, Entry> entries, AtomicFiles.Writer data) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put(METADATA, metadata);
        header.putAll(entries);
        byte[] json = Json.bytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(headerBytes);
            data.write(out);
        });
    }
}
