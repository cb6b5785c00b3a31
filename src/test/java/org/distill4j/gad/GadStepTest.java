package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Example;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.train.Trainer;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GAD's steps on a tiny student whose teacher has an obvious signature (resume: {@link org.distill4j.train.KillResumeTest}).
 */
class GadStepTest {
    @TempDir
    Path tmp;

    private static GadConfig config(List<Phase> phases, double generatorLr, double discriminatorLr, long saveEvery) {
        return GadConfig.of(phases).promptsPerStep(8).microPrompts(4).samples(4).maxNewTokens(10).generatorLr(generatorLr)
                .discriminatorLr(discriminatorLr).discriminatorClip(1.0).evalEvery(0).saveEvery(saveEvery).seed(7).build();
    }

    private Path student() throws Exception {
        Path dir = tmp.resolve("student");
        return Files.exists(dir) ? dir : TinyStudent.write(dir, 1);
    }

    private static List<Example> data() {
        return TinyStudent.examples(TinyStudent.promptTexts(64, 1));
    }

    /** Trains from the student checkpoint into {@code out}. */
    private void train(GadConfig cfg, Path out) throws Exception {
        Path s = student();
        try (LanguageModel g = LanguageModel.load(s);
             NDManager m = NDManager.newBaseManager();
             Discriminator d = cfg.anyDiscriminator() ? Discriminator.fromStudent(s, m, cfg.seed()) : null) {
            GadStep step = new GadStep(g.transformer(), d, cfg, data(), Map.of(Checkpoint.TOKENIZER, s.resolve(Checkpoint.TOKENIZER)),
                    g.eosIds());
            new Trainer(out, cfg.loop()).run(step, false);
        }
    }

    private static List<JsonNode> rows(Path out, String phase) {
        List<JsonNode> r = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(out.resolve(Trainer.METRICS_FILE))) {
            if (l.value().path("step").asLong() > 0 && l.value().path("phase").asText().equals(phase)) {
                r.add(l.value());
            }
        }
        return r;
    }

    private static double mean(List<JsonNode> rows, String key) {
        return rows.stream().mapToDouble(r -> r.get(key).asDouble()).average().orElseThrow();
    }

    @Test
    void discriminatorWarmupLearnsToTellTheTeacherApart() throws Exception {
        Path out = tmp.resolve("warmup");
        train(config(List.of(new Phase("warmup-d", 30, true, Phase.GeneratorUpdate.NONE)), 1e-3, 3e-3, 100), out);
        List<JsonNode> r = rows(out, "warmup-d");
        assertThat(r).hasSize(30);
        assertThat(mean(r.subList(25, 30), "d_acc")).isGreaterThan(0.9);
        assertThat(mean(r.subList(25, 30), "d_loss")).isLessThan(0.5 * mean(r.subList(0, 3), "d_loss"));
        assertThat(Files.exists(out.resolve("discriminator").resolve(Discriminator.HEAD_FILE))).isTrue();
    }

    @Test
    void policyGradientClimbsAFrozenDiscriminatorsReward() throws Exception {
        Path out = tmp.resolve("frozen");
        train(config(List.of(new Phase("train-d", 30, true, Phase.GeneratorUpdate.NONE),
                new Phase("grpo", 30, false, Phase.GeneratorUpdate.POLICY_GRADIENT)), 3e-3, 3e-3, 100), out);
        List<JsonNode> g = rows(out, "grpo");
        assertThat(g).hasSize(30);
        assertThat(mean(g.subList(25, 30), "reward_mean")).isGreaterThan(mean(g.subList(0, 5), "reward_mean") + 0.5);
        assertThat(g.get(0).get("kl_ref").asDouble()).isLessThan(1e-6); // the reference is the student as GRPO starts
        assertThat(mean(g.subList(25, 30), "kl_ref")).isGreaterThan(0);
        assertThat(g.get(29).has("pg_loss")).isTrue();
        assertThat(g.get(29).has("d_loss")).isFalse(); // frozen
    }

    @Test
    void seqkdNeedsNoDiscriminatorAndFitsTheTeacher() throws Exception {
        Path out = tmp.resolve("seqkd");
        train(config(GadMethod.SEQKD.phases(0, 0, 40, 0), 3e-3, 0, 100), out);
        List<JsonNode> r = rows(out, "seqkd");
        assertThat(r).hasSize(40);
        assertThat(r.get(0).has("d_acc")).isFalse();
        assertThat(mean(r.subList(35, 40), "ce_loss")).isLessThan(0.3 * mean(r.subList(0, 3), "ce_loss"));
        assertThat(Files.exists(out.resolve("discriminator"))).isFalse();
    }
}
