package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path tmp;

    @Test
    void f32RoundTripIsExactAndKeepsOrderAndMetadata() {
        float[] a = {1.5f, -2.25f, Float.MIN_VALUE, 3.4e38f, -0f, 1e-30f};
        float[] b = {7f, 8f};
        Path f = tmp.resolve("x.safetensors");
        new Safetensors.Writer().add("z.first", a, new long[] {2, 3}, Safetensors.DType.F32)
                .add("a.second", b, new long[] {2}, Safetensors.DType.F32)
                .addLongs("ids", new long[] {1, -2, Long.MAX_VALUE}, new long[] {3}).write(f);
        try (Safetensors.Reader r = Safetensors.open(f)) {
            assertThat(r.tensors().keySet()).containsExactly("z.first", "a.second", "ids");
            assertThat(r.metadata()).containsEntry("format", "pt");
            assertThat(r.readFloats("z.first")).containsExactly(a);
            assertThat(r.readFloats("a.second")).containsExactly(b);
            assertThat(r.readLongs("ids")).containsExactly(1, -2, Long.MAX_VALUE);
            assertThat(r.info("z.first").shape()).containsExactly(2, 3);
            try (NDManager m = NDManager.newBaseManager()) {
                assertThat(r.load("z.first", m).toFloatArray()).containsExactly(a);
            }
        }
    }

    @Test
    void bf16WrittenByTorchLoadsExactly() {
        try (Safetensors.Reader bf = Safetensors.open(Fixtures.path("lm/bf16.safetensors"));
             Safetensors.Reader want = Safetensors.open(Fixtures.path("lm/bf16_expected.safetensors"))) {
            assertThat(bf.info("w").dtype()).isEqualTo(Safetensors.DType.BF16);
            assertThat(bf.readFloats("w")).containsExactly(want.readFloats("w"));
            assertThat(bf.info("w_f16").dtype()).isEqualTo(Safetensors.DType.F16);
            assertThat(bf.readFloats("w_f16")).containsExactly(want.readFloats("w_f16"));
        }
    }

    @Test
    void bf16WriterRoundsToNearestEven() {
        float[] v = {1.0f, 1.00390625f /* halfway: rounds to even 1.0 */, 1.01171875f /* halfway: rounds up */, -3.14159f};
        Path f = tmp.resolve("b.safetensors");
        new Safetensors.Writer().add("w", v, new long[] {4}, Safetensors.DType.BF16).write(f);
        try (Safetensors.Reader r = Safetensors.open(f)) {
            float[] got = r.readFloats("w");
            assertThat(got[0]).isEqualTo(1.0f);
            assertThat(got[1]).isEqualTo(1.0f);
            assertThat(got[2]).isEqualTo(1.015625f);
            assertThat(got[3]).isCloseTo(-3.14159f, org.assertj.core.data.Offset.offset(0.02f));
        }
    }

    @Test
    void largeHalfPrecisionTensorsWidenAcrossReadChunks() {
        // 2.5 M elements: more than one 4 MiB chunk of BF16, after a tensor that shifts the data offset
        int n = 2_500_003;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((i % 256) - 128) / 8; // at most 8 significant bits: exact in BF16
        }
        Path f = tmp.resolve("big.safetensors");
        new Safetensors.Writer().add("first", new float[] {1, 2, 3}, new long[] {3}, Safetensors.DType.BF16)
                .add("w", v, new long[] {n}, Safetensors.DType.BF16).write(f);
        try (Safetensors.Reader r = Safetensors.open(f); ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            // Arrays.equals: AssertJ's element diff of 2.5 M floats would take minutes to report a failure
            assertThat(java.util.Arrays.equals(r.readFloats("w"), v)).isTrue();
            assertThat(java.util.Arrays.equals(r.load("w", m).toFloatArray(), v)).isTrue();
            assertThat(r.readFloats("first")).containsExactly(1, 2, 3);
        }
    }

    @Test
    void streamingWriterAsksForEachTensorInBlocksAndWritesWhatTheWriterWould() {
        // 2.5 M values: three blocks, the last partial, after a small tensor
        int n = 2_500_003;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i * 0.25f - 7;
        }
        Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
        shapes.put("first", new long[] {3});
        shapes.put("w", new long[] {n});
        java.util.List<String> asked = new java.util.ArrayList<>();
        Path streamed = tmp.resolve("streamed.safetensors");
        Safetensors.writeStreaming(streamed, shapes, Safetensors.DType.F32, (name, offset, block) -> {
            asked.add(name + "@" + offset + "+" + block.length);
            float[] src = name.equals("first") ? new float[] {1, 2, 3} : v;
            System.arraycopy(src, (int) offset, block, 0, block.length);
        });
        int b = Safetensors.BLOCK;
        assertThat(asked).containsExactly("first@0+3", "w@0+" + b, "w@" + b + "+" + b, "w@" + 2 * b + "+" + (n - 2 * b));
        Path whole = tmp.resolve("whole.safetensors");
        new Safetensors.Writer().add("first", new float[] {1, 2, 3}, new long[] {3}, Safetensors.DType.F32)
                .add("w", v, new long[] {n}, Safetensors.DType.F32).write(whole);
        try {
            assertThat(Files.readAllBytes(streamed)).isEqualTo(Files.readAllBytes(whole));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = tmp.resolve("bad.safetensors");
        Files.write(f, b.array());
        return f;
    }

    @Test
    void truncatedFileIsRejectedNamingFileAndTensor() throws IOException {
        Path good = tmp.resolve("g.safetensors");
        new Safetensors.Writer().add("layer.weight", new float[100], new long[] {10, 10}, Safetensors.DType.F32).write(good);
        byte[] all = Files.readAllBytes(good);
        Path cut = tmp.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 10));
        assertThatThrownBy(() -> Safetensors.open(cut)).isInstanceOf(UserError.class)
                .hasMessageContaining("cut.safetensors").hasMessageContaining("layer.weight").hasMessageContaining("outside");
    }

    @Test
    void headerPointingOutsideTheFileIsRejected() throws IOException {
        Path f = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8000]}}", 8);
        assertThatThrownBy(() -> Safetensors.open(f)).isInstanceOf(UserError.class)
                .hasMessageContaining("bad.safetensors").hasMessageContaining("'w'");
    }

    @Test
    void shapeSizeMismatchIsRejected() throws IOException {
        Path f = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertThatThrownBy(() -> Safetensors.open(f)).isInstanceOf(UserError.class)
                .hasMessageContaining("'w'").hasMessageContaining("12 bytes");
    }

    @Test
    void overlappingTensorsAreRejected() throws IOException {
        Path f = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertThatThrownBy(() -> Safetensors.open(f)).isInstanceOf(UserError.class).hasMessageContaining("overlap");
    }

    @Test
    void headerLengthBeyondTheFileIsRejected() throws IOException {
        Path f = tmp.resolve("short.safetensors");
        Files.write(f, new byte[] {(byte) 0xff, 0x7f, 0, 0, 0, 0, 0, 0, '{', '}'});
        assertThatThrownBy(() -> Safetensors.open(f)).isInstanceOf(UserError.class).hasMessageContaining("header length");
    }
}
