package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.data.BatchOrder;
import org.distill4j.data.Example;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warmup's cross-entropy is taken at the rollout temperature (the reference recipe, docs/gad.md): the step's
 * {@code ce_loss} equals the token-mean −log softmax(logits / T)[target] computed here in Java from the raw logits.
 */
class WarmupTemperatureTest {
    @TempDir
    Path tmp;

    private static double ceLoss(Path student, List<Example> data, double temperature) {
        GadConfig cfg = GadConfig.of(List.of(new Phase("warmup", 1, false, Phase.GeneratorUpdate.CROSS_ENTROPY))).promptsPerStep(8)
                .microPrompts(4).temperature(temperature).evalEvery(0).saveEvery(0).seed(7).build();
        try (LanguageModel g = LanguageModel.load(student)) {
            GadStep step = new GadStep(g.transformer(), null, cfg, data, Map.of(Checkpoint.TOKENIZER, student.resolve(Checkpoint.TOKENIZER)),
                    g.eosIds());
            step.start();
            try {
                return step.step(0).values().get("ce_loss"); // from the weights before the step's update
            } finally {
                step.finish();
            }
        }
    }

    /** Token-mean cross-entropy of the step-0 batch at {@code temperature}, in double precision from the logits. */
    private static double reference(Path student, List<Example> data, double temperature) {
        List<long[]> prompts = new ArrayList<>();
        List<long[]> responses = new ArrayList<>();
        for (int i : new BatchOrder(data.size(), 8, 1, 7).indices(0, 0)) {
            prompts.add(data.get(i).prompt());
            responses.add(data.get(i).response());
        }
        try (LanguageModel g = LanguageModel.load(student); NDManager m = NDManager.newBaseManager()) {
            LanguageModel.ResponseLogits rl = LanguageModel.responseLogits(g.transformer(), m, prompts, responses);
            float[] logits = rl.logits().toFloatArray();
            long[] shape = rl.logits().getShape().getShape();
            int r = (int) shape[1];
            int v = (int) shape[2];
            double nll = 0;
            long tokens = 0;
            for (int b = 0; b < responses.size(); b++) {
                for (int j = 0; j < responses.get(b).length; j++) {
                    int off = (b * r + j) * v;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int k = 0; k < v; k++) {
                        max = Math.max(max, logits[off + k] / temperature);
                    }
                    double sum = 0;
                    for (int k = 0; k < v; k++) {
                        sum += Math.exp(logits[off + k] / temperature - max);
                    }
                    nll += max + Math.log(sum) - logits[off + (int) responses.get(b)[j]] / temperature;
                    tokens++;
                }
            }
            return nll / tokens;
        }
    }

    @Test
    void theWarmupsCrossEntropyIsAtTheRolloutTemperature() throws Exception {
        Path student = TinyStudent.write(tmp.resolve("student"), 1);
        List<Example> data = TinyStudent.examples(TinyStudent.promptTexts(32, 1));
        double atHalf = ceLoss(student, data, 0.5);
        double atOne = ceLoss(student, data, 1.0);
        assertThat(atHalf).isCloseTo(reference(student, data, 0.5), org.assertj.core.data.Percentage.withPercentage(1e-3));
        assertThat(atOne).isCloseTo(reference(student, data, 1.0), org.assertj.core.data.Percentage.withPercentage(1e-3));
        assertThat(Math.abs(atHalf - atOne)).as("the temperature must matter for this test to mean anything").isGreaterThan(0.05);
    }
}
