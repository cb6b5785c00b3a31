package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Lora;
import org.distill4j.lm.LoraConfig;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LoRA discriminator: adapters of its own on the student's base (shared, not copied), its head trained whole and
 * saved as PEFT's modules_to_save; written, it reads back to the same scores (and target/lora-disc/ holds it for
 * tools/fixtures/check_peft_load.py --discriminator, which loads it as a PEFT sequence classifier).
 */
class DiscriminatorLoraTest {
    @TempDir
    Path tmp;

    private static final List<long[]> PROMPTS = List.of(new long[] {1, 5, 6}, new long[] {1, 9, 10, 11});
    private static final List<long[]> RESPONSES = List.of(new long[] {7, 8, 2}, new long[] {13, 14, 2});

    @Test
    void adaptersOnTheSharedBaseAndTheHeadAsModulesToSave() throws Exception {
        Path s = TinyStudent.write(tmp.resolve("s"), 1);
        try (NDManager m = NDManager.newBaseManager()) {
            Transformer student = Checkpoint.loadTransformer(s, m);
            LoraConfig cfg = new LoraConfig(4, 8, 0, List.of(LoraConfig.ALL_LINEAR), false);
            Discriminator d = Discriminator.withAdapter(student, cfg, s.toAbsolutePath().toString(), m, 3);
            // the base arrays are the student's own: no second copy
            assertThat(d.backbone().parameters().get("model.embed_tokens.weight")).isSameAs(student.parameters().get("model.embed_tokens.weight"));
            // trainable: the adapters and the head, nothing of the base
            assertThat(d.parameters().keySet()).allMatch(k -> k.contains(".lora_") || k.equals(Discriminator.HEAD));
            assertThat(d.parameters()).hasSize(2 * 7 * 2 + 1);
            SplittableRandom rng = new SplittableRandom(5);
            for (Map.Entry<String, NDArray> e : d.parameters().entrySet()) {
                if (e.getKey().contains("lora_B")) { // non-zero, so the adapters matter
                    float[] v = new float[Math.toIntExact(e.getValue().size())];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (0.2 * (2 * rng.nextDouble() - 1));
                    }
                    e.getValue().set(v);
                }
            }
            float[] scores = new float[PROMPTS.size()];
            for (int i = 0; i < scores.length; i++) { // one row at a time: transformers pools at the last non-pad token
                scores[i] = d.scores(m, List.of(PROMPTS.get(i)), List.of(RESPONSES.get(i))).getFloat(0);
            }
            Path dir = tmp.resolve("d");
            Files.createDirectories(dir);
            d.writeFiles(dir, Map.of(Checkpoint.TOKENIZER, s.resolve(Checkpoint.TOKENIZER)));
            assertThat(dir.resolve(Checkpoint.WEIGHTS)).doesNotExist();
            try (Safetensors.Reader r = Safetensors.open(dir.resolve(Lora.WEIGHTS))) {
                assertThat(r.tensors()).containsKey(Lora.savedName(Discriminator.HEAD));
            }
            try (NDManager m2 = NDManager.newBaseManager(); Discriminator back = Discriminator.load(dir, m2)) {
                for (int i = 0; i < scores.length; i++) {
                    assertThat(back.scores(m2, List.of(PROMPTS.get(i)), List.of(RESPONSES.get(i))).getFloat(0)).isEqualTo(scores[i]);
                }
            }
            // a restore reads the adapters and the head back into a fresh discriminator
            Discriminator fresh = Discriminator.withAdapter(student, cfg, s.toAbsolutePath().toString(), m, 4);
            fresh.restore(dir);
            assertThat(fresh.scores(m, List.of(PROMPTS.get(0)), List.of(RESPONSES.get(0))).getFloat(0)).isEqualTo(scores[0]);
            Path export = Path.of("target", "lora-disc");
            Checkpoint.saveWith(export.resolve("discriminator"), t -> d.writeFiles(t, Map.of()));
            Checkpoint.saveWith(export.resolve("base"), t -> Checkpoint.writeFiles(t, student, Safetensors.DType.F32, Map.of()));
            Safetensors.Writer w = new Safetensors.Writer().add("scores", scores, new long[] {scores.length}, Safetensors.DType.F32);
            for (int i = 0; i < scores.length; i++) {
                long[] row = java.util.Arrays.copyOf(PROMPTS.get(i), PROMPTS.get(i).length + RESPONSES.get(i).length);
                System.arraycopy(RESPONSES.get(i), 0, row, PROMPTS.get(i).length, RESPONSES.get(i).length);
                w.addLongs("row" + i, row, new long[] {1, row.length});
            }
            w.write(export.resolve("java_scores.safetensors"));
        }
    }
}
