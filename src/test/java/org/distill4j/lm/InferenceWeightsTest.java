package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** Which folds each family's decoding weights get (their results are checked by FullRecomputeReferenceTest). */
class InferenceWeightsTest {
    private static InferenceWeights.Folding folding(String fixture) {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path(fixture), m);
             NDManager fused = m.newSubManager()) {
            long before = model.manager().getManagedArrays().size();
            InferenceWeights w = InferenceWeights.of(model.weights().packed(fused), model.config(), fused);
            assertThat(model.manager().getManagedArrays().size()).as("nothing left in the model's manager").isEqualTo(before);
            return w.folding();
        }
    }

    @Test
    void rmsFamiliesWithFullRotaryGetEveryFold() {
        for (String f : new String[] {"lm/llama_gqa_tied", "lm/qwen2_bias", "families/qwen3", "families/gemma3_text"}) {
            assertThat(folding(f)).as(f).isEqualTo(new InferenceWeights.Folding(true, true));
        }
    }

    @Test
    void dynamicOrPartialRopeKeepsTheRotateHalfFormAndLayerNormFamiliesKeepTheirNorms() {
        assertThat(folding("families/llama_dynamic")).isEqualTo(new InferenceWeights.Folding(true, false));
        assertThat(folding("families/phi3")).as("partial rotary").isEqualTo(new InferenceWeights.Folding(true, false));
        assertThat(folding("families/gpt2")).isEqualTo(InferenceWeights.Folding.NONE);
    }
}
