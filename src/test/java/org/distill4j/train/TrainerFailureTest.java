package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Transformer;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerFailureTest {
    @TempDir
    Path tmp;

    /** A loss that is finite on some steps and NaN on others. */
    private static Objective objective(Transformer model, java.util.function.LongPredicate nanAt) {
        return new Objective() {
            @Override
            public Loss loss(NDManager m, long step, int micro) {
                var w = model.parameters().get("model.norm.weight");
                var value = w.square().sum();
                if (nanAt.test(step)) {
                    value = value.mul(Float.NaN);
                }
                return new Loss(value, 1, Map.of());
            }

            @Override
            public Map<String, Double> evaluate(NDManager m) {
                return Map.of();
            }

            @Override
            public double stepsPerEpoch() {
                return 10;
            }
        };
    }

    private static TrainConfig config(long steps) {
        return TrainConfig.steps(steps).lr(0.1).finalLr(0.01).warmupSteps(0).weightDecay(0).evalEvery(0).logEvery(1).maxBadSteps(3).build();
    }

    @Test
    void nonFiniteStepsAreSkippedAndTheWeightsStayFinite() {
        ModelConfig c = ModelConfig.llama(16, 8, 16, 1, 2, 1, 16, true, 1, 2, 0);
        try (NDManager m = NDManager.newBaseManager(); Transformer model = Transformer.random(c, m, 1)) {
            TrainTestSupport.train(model, config(6), tmp.resolve("a"), objective(model, s -> s == 2 || s == 4));
            for (var p : model.parameters().values()) {
                for (float x : p.toFloatArray()) {
                    assertThat(Float.isFinite(x)).isTrue();
                }
            }
            var rows = Jsonl.read(tmp.resolve("a").resolve("metrics.jsonl"));
            assertThat(rows).hasSize(6);
            assertThat(rows.get(2).value().has("train_loss")).isFalse(); // step 3 (index 2) was skipped
            assertThat(rows.get(3).value().get("train_loss").asDouble()).isFinite();
        }
    }

    @Test
    void consecutiveNonFiniteStepsAbortWithASavedState() {
        ModelConfig c = ModelConfig.llama(16, 8, 16, 1, 2, 1, 16, true, 1, 2, 0);
        try (NDManager m = NDManager.newBaseManager(); Transformer model = Transformer.random(c, m, 1)) {
            Path out = tmp.resolve("b");
            assertThatThrownBy(() -> TrainTestSupport.train(model, config(20), out, objective(model, s -> s >= 4)))
                    .isInstanceOf(UserError.class).hasMessageContaining("diverged").hasMessageContaining("step 7");
            assertThat(out.resolve("checkpoint").resolve(Trainer.STATE_FILE)).exists();
        }
    }

    @Test
    void aCrashWhileSavingKeepsThePreviousCheckpoint() throws IOException {
        Path dir = tmp.resolve("ckpt");
        Checkpoint.saveWith(dir, t -> Files.writeString(t.resolve("weights"), "good"));
        assertThatThrownBy(() -> Checkpoint.saveWith(dir, t -> {
            Files.writeString(t.resolve("weights"), "half");
            throw new IOException("disk full");
        })).isInstanceOf(UserError.class);
        assertThat(Files.readString(dir.resolve("weights"))).isEqualTo("good");
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("ckpt");
        }
    }
}
