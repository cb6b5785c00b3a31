package org.distill4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import org.distill4j.generate.Sampler;
import org.junit.jupiter.api.Test;

/** Both batchings of `bench sampling` draw the same samples, so its speed-ups compare equal work. */
class SamplingBenchTest {
    @Test
    void bothBatchingsGenerateTheSameTokens() {
        SamplingBench.Workload tiny = new SamplingBench.Workload("tiny", 5, 6, 2, 12, 3, 1.0 / 32);
        try (NDManager m = NDManager.newBaseManager()) {
            SamplingBench.with(m, BenchShape.SMALL, tiny, bench -> {
                SamplingBench.Run before = bench.run(Sampler.Batching.STATIC_UNSHARED, 4);
                SamplingBench.Run after = bench.run(Sampler.Batching.DEFAULT, 4);
                assertThat(after.tokens()).isEqualTo(before.tokens());
                assertThat(after.minLength()).isEqualTo(before.minLength());
                assertThat(after.maxLength()).isEqualTo(before.maxLength());
                assertThat(after.minLength()).as("lengths vary").isLessThan(after.maxLength());
                return null;
            });
        }
    }
}
