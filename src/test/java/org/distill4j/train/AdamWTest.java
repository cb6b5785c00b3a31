package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.lm.Safetensors;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdamWTest {
    private static final Map<String, long[]> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("model.embed_tokens.weight", new long[] {5, 3});
        SHAPES.put("model.layers.0.self_attn.q_proj.weight", new long[] {3, 3});
        SHAPES.put("model.layers.0.self_attn.q_proj.bias", new long[] {3});
        SHAPES.put("model.norm.weight", new long[] {3});
        SHAPES.put("lm_head.weight", new long[] {5, 3});
    }

    private static final AdamWConfig CONFIG = AdamWConfig.DEFAULT.withWeightDecay(0.1);
    private static final LrSchedule SCHEDULE = LrSchedule.warmupCosine(1e-2, 1e-3, 3, 12);

    @TempDir
    Path tmp;

    /** The gradients of step {@code step}: a fixed function of the step, so every run sees the same ones. */
    private static Map<String, float[]> gradients(int step) {
        return TrainTestSupport.randomValues(SHAPES, 1000 + step, step % 3 == 0 ? 2.0 : 0.3);
    }

    /** One training step as the trainer will run it: gradients in, clip, update, zero. */
    private static void trainStep(Map<String, NDArray> params, AdamW adamw, int step) {
        TrainTestSupport.setGradients(params, gradients(step));
        GradientClipping.clipByGlobalNorm(params, 1.0);
        adamw.step(SCHEDULE.lr(step));
        adamw.zeroGradients();
    }

    private static Map<String, float[]> snapshot(Map<String, NDArray> params) {
        Map<String, float[]> s = new LinkedHashMap<>();
        params.forEach((n, p) -> s.put(n, p.toFloatArray()));
        return s;
    }

    @Test
    void resumingFromSavedStateIsBitIdenticalToAnUninterruptedRun() {
        Map<String, float[]> init = TrainTestSupport.randomValues(SHAPES, 7, 0.5);
        Map<String, float[]> uninterrupted;
        Map<String, float[]> uninterruptedMoments = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, init);
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                for (int step = 0; step < 10; step++) {
                    trainStep(params, adamw, step);
                }
                uninterrupted = snapshot(params);
                SHAPES.keySet().forEach(n -> uninterruptedMoments.put(n, adamw.expAvgSq(n).toFloatArray()));
            }
        }

        Path state = tmp.resolve("optimizer.safetensors");
        Map<String, float[]> paramsAtStep4;
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, init);
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                for (int step = 0; step < 4; step++) {
                    trainStep(params, adamw, step);
                }
                adamw.save(state);
                paramsAtStep4 = snapshot(params); // the trainer saves the model beside the optimizer
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, paramsAtStep4);
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                adamw.load(state);
                assertThat(adamw.steps()).isEqualTo(4);
                for (int step = 4; step < 10; step++) {
                    trainStep(params, adamw, step);
                }
                Map<String, float[]> resumed = snapshot(params);
                for (String name : SHAPES.keySet()) {
                    assertThat(resumed.get(name)).as(name).containsExactly(uninterrupted.get(name));
                    assertThat(adamw.expAvgSq(name).toFloatArray()).as(name).containsExactly(uninterruptedMoments.get(name));
                }
            }
        }
        // the parameters did move, so the comparison above is not vacuous
        assertThat(uninterrupted.get("lm_head.weight")).isNotEqualTo(init.get("lm_head.weight"));
    }

    @Test
    void stateFileHoldsMomentsAndStepCounts() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, TrainTestSupport.randomValues(SHAPES, 3, 1));
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                trainStep(params, adamw, 0);
                trainStep(params, adamw, 1);
                Path file = tmp.resolve("s.safetensors");
                adamw.save(file);
                try (Safetensors.Reader r = Safetensors.open(file)) {
                    assertThat(r.metadata()).containsEntry("steps", "2").containsEntry("weight_decay", "0.1");
                    assertThat(r.readLongs("model.norm.weight.step")).containsExactly(2);
                    assertThat(r.info("model.norm.weight.step").shape()).isEmpty();
                    assertThat(r.readFloats("lm_head.weight.exp_avg")).containsExactly(adamw.expAvg("lm_head.weight").toFloatArray());
                    assertThat(r.tensors()).hasSize(3 * SHAPES.size());
                }
            }
        }
    }

    @Test
    void loadRejectsStateOfAnotherModel() throws Exception {
        Path file = tmp.resolve("s.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, TrainTestSupport.randomValues(SHAPES, 3, 1));
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                trainStep(params, adamw, 0);
                adamw.save(file);
            }
            Map<String, long[]> otherShapes = new LinkedHashMap<>(SHAPES);
            otherShapes.put("lm_head.weight", new long[] {6, 3});
            Map<String, NDArray> other = TrainTestSupport.parameters(m, otherShapes, TrainTestSupport.randomValues(otherShapes, 3, 1));
            try (AdamW adamw = new AdamW(other, CONFIG)) {
                assertThatThrownBy(() -> adamw.load(file)).isInstanceOf(UserError.class).hasMessageContaining("lm_head.weight.exp_avg");
                assertThat(adamw.manager().getManagedArrays()).isEmpty(); // nothing half-loaded stays behind
            }
            Map<String, NDArray> fewer = new LinkedHashMap<>(params);
            fewer.remove("model.norm.weight");
            try (AdamW adamw = new AdamW(fewer, CONFIG)) {
                assertThatThrownBy(() -> adamw.load(file)).isInstanceOf(UserError.class).hasMessageContaining("model.norm.weight");
            }
            Path notState = tmp.resolve("model.safetensors");
            new Safetensors.Writer().add("x", new float[] {1}, new long[] {1}, Safetensors.DType.F32).write(notState);
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                assertThatThrownBy(() -> adamw.load(notState)).isInstanceOf(UserError.class).hasMessageContaining("not an AdamW state file");
            }
        }
        assertThat(Files.exists(file)).isTrue();
    }

    @Test
    void weightDecayFollowsThePolicy() {
        // zero gradients: the moments stay 0 and the Adam term is 0/(0+eps) = 0, so only the decay acts
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, float[]> init = TrainTestSupport.randomValues(SHAPES, 5, 1);
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, init);
            Map<String, float[]> zeros = new LinkedHashMap<>();
            init.forEach((n, v) -> zeros.put(n, new float[v.length]));
            TrainTestSupport.setGradients(params, zeros);
            double lr = 0.5;
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                adamw.step(lr);
            }
            float factor = (float) (1 - lr * CONFIG.weightDecay());
            for (String name : SHAPES.keySet()) {
                float[] expected = init.get(name).clone();
                if (WeightDecayPolicy.DEFAULT.decays(name)) {
                    for (int i = 0; i < expected.length; i++) {
                        expected[i] *= factor;
                    }
                }
                assertThat(params.get(name).toFloatArray()).as(name).containsExactly(expected);
            }
        }
    }

    @Test
    void skipsParametersWithoutGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, float[]> init = TrainTestSupport.randomValues(SHAPES, 5, 1);
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, init);
            params.get("model.norm.weight").setRequiresGradient(false);
            Map<String, float[]> grads = new LinkedHashMap<>(gradients(0));
            grads.remove("lm_head.weight"); // requires a gradient but the backward pass never reaches it
            grads.remove("model.norm.weight");
            TrainTestSupport.setGradients(params, grads);
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                adamw.step(1e-2);
                assertThat(params.get("model.norm.weight").toFloatArray()).containsExactly(init.get("model.norm.weight"));
                assertThat(params.get("lm_head.weight").toFloatArray()).containsExactly(init.get("lm_head.weight"));
                assertThat(adamw.expAvg("lm_head.weight")).isNull();
                assertThat(params.get("model.embed_tokens.weight").toFloatArray()).isNotEqualTo(init.get("model.embed_tokens.weight"));
            }
        }
    }

    @Test
    void stepWorksInsideAnOpenGradientCollector() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, TrainTestSupport.randomValues(SHAPES, 5, 1));
            TrainTestSupport.setGradients(params, gradients(0));
            float[] before = params.get("lm_head.weight").toFloatArray();
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                GradientCollector collector = Engine.getInstance().newGradientCollector();
                try {
                    adamw.step(1e-2);
                    assertThat(ai.djl.pytorch.jni.JniUtils.isGradMode()).as("grad mode restored").isTrue();
                } finally {
                    collector.close();
                }
            }
            assertThat(params.get("lm_head.weight").toFloatArray()).isNotEqualTo(before);
        }
    }

    @Test
    void zeroGradientsClearsEveryGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, TrainTestSupport.randomValues(SHAPES, 5, 1));
            TrainTestSupport.setGradients(params, gradients(0));
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                adamw.zeroGradients();
            }
            for (NDArray p : params.values()) {
                assertThat(TrainTestSupport.gradient(p)).containsOnly(0f);
            }
        }
    }

    @Test
    void leaksNoArraysOverManySteps() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, TrainTestSupport.randomValues(SHAPES, 5, 1));
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                trainStep(params, adamw, 0);
                int modelArrays = m.getManagedArrays().size();
                for (int step = 1; step < 300; step++) {
                    trainStep(params, adamw, step);
                }
                assertThat(m.getManagedArrays()).hasSize(modelArrays);
                assertThat(adamw.manager().getManagedArrays()).hasSize(2 * SHAPES.size());
                adamw.save(tmp.resolve("s.safetensors"));
                adamw.load(tmp.resolve("s.safetensors"));
                assertThat(adamw.manager().getManagedArrays()).hasSize(2 * SHAPES.size());
            }
        }
    }

    @Test
    void rejectsInvalidArguments() {
        assertThatThrownBy(() -> AdamWConfig.DEFAULT.withBetas(1.0, 0.999)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdamWConfig.DEFAULT.withWeightDecay(-0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdamW(Map.of(), CONFIG)).isInstanceOf(IllegalArgumentException.class);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = TrainTestSupport.parameters(m, SHAPES, TrainTestSupport.randomValues(SHAPES, 5, 1));
            try (AdamW adamw = new AdamW(params, CONFIG)) {
                assertThatThrownBy(() -> adamw.step(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
            }
        }
    }
}
