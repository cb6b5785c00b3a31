package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The header as written: metadata first, tensors in order with back-to-back offsets, padded with spaces to 8 bytes. */
class SafetensorsHeaderTest {
    @TempDir
    Path tmp;

    @Test
    void headerTextAndPadding() throws Exception {
        Path file = tmp.resolve("w.safetensors");
        new Safetensors.Writer().metadata("k", "v").add("w.a", new float[] {1, 2, 3, 4}, new long[] {2, 2}, Safetensors.DType.BF16)
                .addLongs("ids", new long[] {7, 8, 9}, new long[] {3}).write(file);
        byte[] bytes = Files.readAllBytes(file);
        long length = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(length % 8).isZero();
        String header = new String(Arrays.copyOfRange(bytes, 8, 8 + (int) length), StandardCharsets.UTF_8);
        assertThat(header.stripTrailing()).isEqualTo("{\"__metadata__\":{\"format\":\"pt\",\"k\":\"v\"},"
                + "\"w.a\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"ids\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[8,32]}}");
        assertThat(bytes).hasSize(8 + (int) length + 32);
        try (Safetensors.Reader r = Safetensors.open(file)) {
            assertThat(r.metadata()).containsEntry("k", "v");
            assertThat(r.readLongs("ids")).containsExactly(7, 8, 9);
            assertThat(r.readFloats("w.a")).containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void valuesMustFillTheShape() {
        assertThatThrownBy(() -> new Safetensors.Writer().add("x", new float[3], new long[] {2, 2}, Safetensors.DType.F32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x' has 3 values for shape [2, 2]");
    }
}
