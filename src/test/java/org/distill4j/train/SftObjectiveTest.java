package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.data.Example;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.ChunkedHeadLoss;
import org.distill4j.loss.GradientSnapshot;
import org.junit.jupiter.api.Test;

/**
 * SFT's loss on a batch large enough to go block-wise (more logits than one block) is the plain definition:
 * −Σ log p(response token) / the step's response tokens, with the same gradient on every parameter.
 */
class SftObjectiveTest {
    @Test
    void blockWiseCrossEntropyEqualsThePlainDefinition() {
        int vocab = 8192;
        SplittableRandom rng = new SplittableRandom(3);
        List<Example> batch = new ArrayList<>();
        for (int len : new int[] {220, 190, 205}) {
            long[] prompt = {1, 5 + rng.nextInt(vocab - 5), 5 + rng.nextInt(vocab - 5)};
            long[] response = new long[len];
            for (int i = 0; i < len; i++) {
                response[i] = 3 + rng.nextInt(vocab - 3);
            }
            batch.add(new Example(prompt, response));
        }
        assertThat(ChunkedHeadLoss.blockWise(3 * 220, vocab)).as("the batch must take the block-wise path").isTrue();
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Transformer.random(ModelConfig.llama(vocab, 16, 32, 1, 2, 1, 256, true, 1, 2, 0), m, 4)) {
            model.setTrainable(true);
            long tokens = batch.stream().mapToLong(e -> e.response().length).sum();
            float plain;
            try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = LanguageModel.responseLogProbs(model, s, batch.stream().map(Example::prompt).toList(),
                        batch.stream().map(Example::response).toList()).sum().neg().div(tokens);
                plain = loss.getFloat();
                gc.backward(loss);
            }
            Map<String, float[]> want = GradientSnapshot.take(model);
            SftObjective objective = new SftObjective(model, batch, List.of(), batch.size(), 1, 0);
            float blockWise;
            try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Objective.Loss l = objective.loss(s, 0, 0);
                blockWise = l.value().getFloat();
                gc.backward(l.value());
            }
            assertThat(blockWise).isCloseTo(plain, within(1e-5f * Math.abs(plain)));
            GradientSnapshot.assertClose(want, GradientSnapshot.take(model), 1e-4);
        }
    }
}
