package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.cli.Main;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Lora;
import org.distill4j.lm.LoraConfig;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LoRA kd run learns as the full run does on a tiny model: the same kd (live teacher, offline data, JSD), once with
 * every parameter trained and once with rank-4 adapters on every linear module (base frozen, a higher learning rate, as
 * LoRA recipes use); both losses fall, and the adapters' fall is a good part of the full run's. The teacher is the
 * student with a random rank-4 change of every linear module (merged in): a gap that adapters can close, unlike one in
 * the embeddings (the LM head here), which all-linear leaves frozen as PEFT does.
 */
@Tag("slow")
class LoraKdTest {
    @TempDir
    Path tmp;

    private static double mean(List<JsonNode> rows, int from, int to, String key) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += rows.get(i).get(key).asDouble();
        }
        return s / (to - from);
    }

    @Test
    void loraKdLossFallsLikeTheFullRuns() throws Exception {
        TrainingRuns.Verb kd = TrainingRuns.kd(tmp, 2, false);
        Path student = tmp.resolve("student");
        try (NDManager m = NDManager.newBaseManager()) {
            Transformer t = Checkpoint.loadTransformer(student, m);
            t.attach(Lora.init(t.config(), new LoraConfig(4, 8, 0, List.of(LoraConfig.ALL_LINEAR), false), "", m, 11));
            SplittableRandom rng = new SplittableRandom(12);
            t.lora().tensors().forEach((name, a) -> {
                if (name.contains("lora_B")) {
                    float[] v = new float[Math.toIntExact(a.size())];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (0.6 * (2 * rng.nextDouble() - 1));
                    }
                    a.set(v);
                }
            });
            try (NDManager mm = m.newSubManager()) {
                Checkpoint.save(tmp.resolve("teacher"), t.merged(mm), Safetensors.DType.F32,
                        Map.of(Checkpoint.TOKENIZER, student.resolve(Checkpoint.TOKENIZER)));
            }
        }
        int steps = 24;
        List<String> full = kd.args(tmp.resolve("full"), steps, 100, 1);
        List<String> lora = kd.args(tmp.resolve("lora"), steps, 100, 1);
        lora.set(lora.indexOf("--lr") + 1, "1e-2"); // the full run's 3e-3 × 3
        lora.addAll(List.of("--lora-r", "4", "--lora-alpha", "8"));
        assertThat(Main.run(full.toArray(String[]::new))).isZero();
        assertThat(Main.run(lora.toArray(String[]::new))).isZero();
        List<JsonNode> f = TrainingRuns.metrics(tmp.resolve("full")).stream().filter(r -> r.has("train_loss")).toList();
        List<JsonNode> l = TrainingRuns.metrics(tmp.resolve("lora")).stream().filter(r -> r.has("train_loss")).toList();
        assertThat(f).hasSize(steps);
        assertThat(l).hasSize(steps);
        for (int i = 0; i < steps; i++) {
            System.out.printf("lora kd step %d: full %.4f lora %.4f%n", i + 1, f.get(i).get("train_loss").asDouble(), l.get(i).get("train_loss").asDouble());
        }
        // the first and last quarter's mean loss: each row is one step's loss on its own batch
        int q = steps / 4;
        double fullDrop = mean(f, 0, q, "train_loss") - mean(f, steps - q, steps, "train_loss");
        double loraDrop = mean(l, 0, q, "train_loss") - mean(l, steps - q, steps, "train_loss");
        System.out.printf("lora kd: loss fell by %.4f with full fine-tuning, %.4f with LoRA%n", fullDrop, loraDrop);
        assertThat(fullDrop).isGreaterThan(0);
        assertThat(loraDrop).isGreaterThan(0.5 * fullDrop);
        // the same starting point: step 1's loss is computed before any update, on the same batch
        assertThat(l.get(0).get("train_loss").asDouble()).isCloseTo(f.get(0).get("train_loss").asDouble(),
                org.assertj.core.api.Assertions.within(1e-4));
    }
}
