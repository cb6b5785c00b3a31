package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.util.UserError;

/**
 * The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data).
 * Hand-rolled because DJL's NDList codec reads the whole file into one byte[] (2 GiB limit), drops
 * {@code __metadata__} and tensor order; this reader maps each tensor's bytes instead.
 */
public final class Safetensors {
    private Safetensors() {}

    public enum DType {
        F32(4), F16(2), BF16(2), I64(8), I32(4), U8(1);

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Opens and validates a file; tensors are read on demand from a memory map of their byte range. */
    public static Reader open(Path file) {
        return new Reader(file);
    }

    public static final class Reader implements AutoCloseable {
        /** Bytes read at a time when widening BF16/F16. */
        private static final int CHUNK_BYTES = 1 << 22;

        private final Path file;
        private final FileChannel channel;
        private final long dataStart;
        private final Map<String, TensorInfo> tensors;
        private final Map<String, String> metadata;

        private Reader(Path file) {
            this.file = file;
            if (!Files.isRegularFile(file)) {
                throw new UserError(file + ": file not found");
            }
            try {
                channel = FileChannel.open(file, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new UserError(file + ": cannot open: " + e.getMessage(), e);
            }
            try {
                long size = channel.size();
                if (size < 8) {
                    throw bad("file is " + size + " bytes, shorter than the 8-byte header length");
                }
                ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                channel.read(lenBuf, 0);
                long headerLen = lenBuf.flip().getLong();
                if (headerLen <= 0 || headerLen > size - 8 || headerLen > 100_000_000) {
                    throw bad("header length " + headerLen + " does not fit in a file of " + size + " bytes (truncated or not safetensors)");
                }
                ByteBuffer header = ByteBuffer.allocate((int) headerLen);
                channel.read(header, 8);
                dataStart = 8 + headerLen;
                SafetensorsHeader.Parsed parsed = SafetensorsHeader.parse(
                        new String(header.array(), StandardCharsets.UTF_8), size - dataStart, this::bad);
                tensors = parsed.tensors();
                metadata = parsed.metadata();
            } catch (IOException e) {
                close();
                throw new UserError(file + ": cannot read: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private UserError bad(String what) {
            return new UserError(file + ": invalid safetensors: " + what);
        }

        public Path file() {
            return file;
        }

        public Map<String, TensorInfo> tensors() {
            return Collections.unmodifiableMap(tensors);
        }

        public Map<String, String> metadata() {
            return Collections.unmodifiableMap(metadata);
        }

        public TensorInfo info(String name) {
            TensorInfo t = tensors.get(name);
            if (t == null) {
                throw new UserError(file + ": tensor '" + name + "' is missing");
            }
            return t;
        }

        private MappedByteBuffer map(TensorInfo t) {
            try {
                MappedByteBuffer m = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.end() - t.begin());
                m.order(ByteOrder.LITTLE_ENDIAN);
                return m;
            } catch (IOException e) {
                throw new UserError(file + ": cannot map tensor '" + t.name() + "': " + e.getMessage(), e);
            }
        }

        /**
         * Float tensor as F32 bytes in native order, in a fresh direct buffer (BF16/F16 widened here). Read with
         * positional reads rather than through a mapping: mapped pages count in the process's RSS until the mapping
         * is collected, so a model loaded through mappings would hold its file (half its F32 size in BF16) in RSS
         * beside the F32 copy it is loading into.
         */
        private ByteBuffer floatBytes(TensorInfo t) {
            int n = Math.toIntExact(t.elements());
            ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
            switch (t.dtype()) {
                case F32 -> {
                    if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                        readFully(out, t.begin());
                        out.clear();
                    } else {
                        MappedByteBuffer src = map(t);
                        out.asFloatBuffer().put(src.asFloatBuffer());
                    }
                }
                case BF16, F16 -> {
                    boolean bf16 = t.dtype() == DType.BF16;
                    var o = out.asFloatBuffer();
                    ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(2L * n, CHUNK_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
                    int done = 0;
                    while (done < n) {
                        int count = Math.min(n - done, chunk.capacity() / 2);
                        chunk.clear().limit(2 * count);
                        readFully(chunk, t.begin() + 2L * done);
                        var in = chunk.flip().asShortBuffer();
                        for (int i = 0; i < count; i++) {
                            short v = in.get(i);
                            o.put(done + i, bf16 ? Float.intBitsToFloat((v & 0xffff) << 16) : Float.float16ToFloat(v));
                        }
                        done += count;
                    }
                }
                default -> throw new UserError(file + ": tensor '" + t.name() + "' is " + t.dtype() + ", expected a float tensor");
            }
            return out;
        }

        /** Fills {@code dst} (position to limit) from data offset {@code offset}. */
        private void readFully(ByteBuffer dst, long offset) {
            try {
                long at = dataStart + offset;
                while (dst.hasRemaining()) {
                    int r = channel.read(dst, at);
                    if (r < 0) {
                        throw bad("file ends inside tensor data");
                    }
                    at += r;
                }
            } catch (IOException e) {
                throw new UserError(file + ": cannot read: " + e.getMessage(), e);
            }
        }

        /** Loads a float tensor (F32, F16 or BF16) as an F32 NDArray owned by {@code manager}. */
        public NDArray load(String name, NDManager manager) {
            TensorInfo t = info(name);
            return manager.create(floatBytes(t), new Shape(t.shape()), DataType.FLOAT32);
        }

        public float[] readFloats(String name) {
            TensorInfo t = info(name);
            float[] a = new float[Math.toIntExact(t.elements())];
            floatBytes(t).asFloatBuffer().get(a);
            return a;
        }

        public long[] readLongs(String name) {
            TensorInfo t = info(name);
            MappedByteBuffer src = map(t);
            long[] a = new long[Math.toIntExact(t.elements())];
            switch (t.dtype()) {
                case I64 -> src.asLongBuffer().get(a);
                case I32 -> {
                    var in = src.asIntBuffer();
                    for (int i = 0; i < a.length; i++) {
                        a[i] = in.get(i);
                    }
                }
                default -> throw new UserError(file + ": tensor '" + name + "' is " + t.dtype() + ", expected an integer tensor");
            }
            return a;
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // read-only channel: nothing to lose
            }
        }
    }

    /** Collects tensors in order and writes them atomically. */
    public static final class Writer {
        private record Entry(DType dtype, long[] shape, ByteBuffer data) {}

        private final Map<String, Entry> entries = new LinkedHashMap<>();
        private final Map<String, String> metadata = new LinkedHashMap<>(Map.of("format", "pt"));

        public Writer metadata(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        /** Adds a float NDArray stored as F32 or BF16 (round to nearest even). */
        public Writer add(String name, NDArray array, DType storage) {
            float[] data = array.toType(DataType.FLOAT32, false).toFloatArray();
            return add(name, data, array.getShape().getShape(), storage);
        }

        public Writer add(String name, float[] data, long[] shape, DType storage) {
            return put(name, new Entry(storage, shape.clone(), encode(data, storage)));
        }

        public Writer addLongs(String name, long[] data, long[] shape) {
            ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(data);
            return put(name, new Entry(DType.I64, shape.clone(), b));
        }

        private Writer put(String name, Entry e) {
            long n = 1;
            for (long d : e.shape()) {
                n *= d;
            }
            if (n * e.dtype().bytes != e.data().capacity()) { // the header's offsets follow from the shapes
                throw new IllegalArgumentException("tensor '" + name + "' has " + e.data().capacity() / e.dtype().bytes
                        + " values for shape " + java.util.Arrays.toString(e.shape()));
            }
            if (entries.putIfAbsent(name, e) != null) {
                throw new IllegalArgumentException("tensor '" + name + "' added twice");
            }
            return this;
        }

        public void write(Path file) {
            Map<String, long[]> shapes = new LinkedHashMap<>();
            entries.forEach((name, e) -> shapes.put(name, e.shape()));
            SafetensorsHeader.write(file, metadata, SafetensorsHeader.layout(shapes, name -> entries.get(name).dtype()),
                    out -> {
                        for (Entry e : entries.values()) {
                            writeBuffer(out, e.data());
                        }
                    });
        }

        private static void writeBuffer(OutputStream out, ByteBuffer b) throws IOException {
            out.write(b.array(), b.arrayOffset(), b.capacity());
        }
    }

    /**
     * Where {@link #writeStreaming} takes a tensor's values from: {@code block} filled with the values of tensor
     * {@code name} from flat index {@code offset} on. Blocks of one tensor come in order, tensors in file order.
     */
    @FunctionalInterface
    public interface TensorBlocks {
        void fill(String name, long offset, float[] block);
    }

    /** Values per block: 4 MiB of floats, so that the writer's own buffers stay small beside the model. */
    static final int BLOCK = 1 << 20;

    /**
     * Writes float tensors block by block, asking {@code values} for each block in turn, so that a large model is
     * never held in memory twice (the {@link Writer} keeps every tensor's bytes until it writes), nor is its largest
     * tensor copied whole onto the Java heap, which would stay committed to the process after the write.
     *
     * @param shapes tensor names → shapes, in file order
     */
    public static void writeStreaming(Path file, Map<String, long[]> shapes, DType storage, TensorBlocks values) {
        encode(new float[0], storage); // refuses other dtypes before the file is started
        SafetensorsHeader.write(file, Map.of("format", "pt"), SafetensorsHeader.layout(shapes, name -> storage), out -> {
            float[] full = new float[BLOCK];
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                long n = 1;
                for (long d : e.getValue()) {
                    n *= d;
                }
                for (long offset = 0; offset < n; offset += BLOCK) {
                    float[] block = n - offset >= BLOCK ? full : new float[(int) (n - offset)];
                    values.fill(e.getKey(), offset, block);
                    out.write(encode(block, storage).array());
                }
            }
        });
    }

    /** Float values as little-endian F32 or BF16 bytes, in a heap buffer. */
    private static ByteBuffer encode(float[] data, DType storage) {
        ByteBuffer b;
        switch (storage) {
            case F32 -> {
                b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(data);
            }
            case BF16 -> {
                b = ByteBuffer.allocate(data.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                var s = b.asShortBuffer();
                for (float f : data) {
                    s.put(toBf16(f));
                }
            }
            default -> throw new IllegalArgumentException("float tensors are stored as F32 or BF16, not " + storage);
        }
        return b;
    }

    /** F32 → BF16 with round-to-nearest-even; NaN stays a quiet NaN. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
