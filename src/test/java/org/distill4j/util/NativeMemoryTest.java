package org.distill4j.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {
    /** On glibc (this project's Linux machines), malloc_trim must be found. */
    @Test
    void findsMallocTrimOnGlibc() {
        assumeTrue(Files.exists(Path.of("/proc/self/status")) && Files.exists(Path.of("/lib/x86_64-linux-gnu/libc.so.6")));
        assertThat(NativeMemory.available()).as("malloc_trim looked up through JNA").isTrue();
    }

    /**
     * Arrays freed in holes between live ones stay resident until trimmed: of 1,536 engine arrays of 64 KiB (under
     * malloc's mmap threshold, so on its heap), every other one freed leaves 48 MiB of holes; the trim must return
     * at least a quarter of that.
     */
    @Test
    void trimmingReturnsFreedHolesToTheKernel() {
        assumeTrue(NativeMemory.available());
        try (NDManager m = NDManager.newBaseManager()) {
            List<NDArray> arrays = new ArrayList<>();
            for (int i = 0; i < 1536; i++) {
                arrays.add(m.ones(new Shape(16, 1024))); // written, so its pages are resident
            }
            for (int i = 0; i < arrays.size(); i += 2) {
                arrays.get(i).close();
            }
            double withHoles = Rss.megabytes();
            assertThat(NativeMemory.trim()).as("malloc_trim released memory").isTrue();
            assertThat(withHoles - Rss.megabytes()).as("MiB returned").isGreaterThan(12);
        }
    }
}
