package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
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
    void theFusionKeepsOnlyWhatTheFoldedWeightsUse() {
        for (String f : new String[] {"lm/llama_gqa_tied", "lm/qwen2_bias", "families/gemma3_text", "families/gpt2"}) {
            try (NDManager m = NDManager.newBaseManager();
                 Transformer model = Checkpoint.loadTransformer(Fixtures.path(f), m);
                 NDManager fused = m.newSubManager()) {
                InferenceWeights iw = InferenceWeights.of(model.weights().packed(fused), model.config(), fused);
                Weights w = iw.weights();
                Set<NDArray> used = Collections.newSetFromMap(new IdentityHashMap<>());
                for (Weights.Linear l : w.linears()) {
                    used.add(l.weight());
                    used.add(l.bias());
                }
                for (Weights.Layer l : w.layers()) {
                    for (Weights.Norm n : new Weights.Norm[] {l.attnNorm(), l.qNorm(), l.kNorm(), l.postAttnNorm(), l.mlpNorm(),
                        l.postMlpNorm()}) {
                        if (n != null) {
                            used.add(n.weight());
                            used.add(n.bias());
                        }
                    }
                }
                used.add(w.finalNorm().weight());
                // the packed q/k/v and gate/up concatenations that a folded copy replaces are freed, not kept beside it
                assertThat(fused.getManagedArrays()).as(f).allSatisfy(a -> assertThat(used).as(f).contains(a));
                if (iw.folding().queryScaled()) {
                    assertThat(fused.getManagedArrays()).as(f + ": the folded copies").isNotEmpty();
                }
            }
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
