package org.distill4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The log-prob of a token whose probability is beyond float's digits (a hot row's pick) is still the log-softmax's. */
class StepDrawsTest {
    @Test
    void logProbsOfVeryUnlikelyTokensComeFromTheLogSoftmax() {
        int vocab = 8;
        float[] row = new float[vocab];
        row[0] = 150f; // every other token has probability e^-150 ≈ 7e-66: zero in float
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(row, new Shape(1, vocab));
            // so hot that the tempered draw is nearly uniform: it picks an untempered-impossible token
            SamplingParams hot = SamplingParams.of(1000.0, 1, 0, Set.of());
            for (long seed = 0; seed < 20; seed++) {
                StepDecoder.Row r = new StepDecoder.Row(new long[] {1}, hot, seed);
                StepDecoder.Token t = StepDraws.draw(m, logits, new StepDecoder.Row[] {r}, vocab)[0];
                double expected = t.id() == 0 ? -7 * Math.exp(-150) : -150 - Math.log1p(7 * Math.exp(-150));
                assertThat((double) t.logprob()).as("token %d", t.id()).isCloseTo(expected, offset(1e-4));
            }
        }
    }
}
