package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Set;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.junit.jupiter.api.Test;

/** Forward passes and sampling must leave no arrays behind in the model's manager. */
class ArrayLeakTest {
    @Test
    void forwardAndSamplingLeaveNoArraysInTheModelManager() {
        try (NDManager base = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), base)) {
            BaseNDManager owner = (BaseNDManager) model.manager();
            int before = owner.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                try (NDManager step = base.newSubManager()) {
                    model.forward(step.create(new long[] {1, 2, 3, 4}, new Shape(2, 2)), null, null, null);
                }
            }
            new Sampler(model, null).generate(List.of(new long[] {1, 5, 6}), SamplingParams.of(1.0, 5, 0, Set.of()).withN(2));
            assertThat(owner.getManagedArrays().size()).isEqualTo(before);
            // the base manager counts its children: only the model's own arrays remain
            assertThat(((BaseNDManager) base).getManagedArrays()).hasSize(before);
        }
    }
}
