package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.data.BatchOrder;
import org.distill4j.data.DataSource;
import org.distill4j.data.Example;
import org.distill4j.eval.SequenceDivergence;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.ForwardKl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** White-box distillation end to end on tiny models. */
class KdTest {
    @TempDir
    Path tmp;

    private static final SamplingParams SAMPLING = SamplingParams.of(1.0, 12, 5, Set.of(2));

    private static List<long[]> prompts(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] p = new long[4];
            p[0] = 1;
            for (int j = 1; j < p.length; j++) {
                p[j] = 3 + rng.nextInt(60);
            }
            out.add(p);
        }
        return out;
    }

    /** Sequence-level KL(teacher ‖ student) on held-out prompts, from teacher samples drawn with an unrelated seed. */
    private static double heldOutKl(Transformer teacher, Transformer student) {
        List<long[]> val = prompts(64, 999);
        List<long[]> ys = new ArrayList<>();
        for (Sample s : new Sampler(teacher, null).generate(val, SAMPLING.withSeed(4242))) {
            ys.add(s.tokens());
        }
        return SequenceDivergence.Estimate.of(SequenceDivergence.sumKl(teacher, student, val, ys, 64),
                SequenceDivergence.lengths(ys)).mean();
    }

    @Test
    void distillationLowersHeldOutSequenceKlToTheTeacher() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m);
             Transformer student = Transformer.random(ModelConfig.llama(64, 32, 64, 2, 4, 2, 64, true, 1, 2, 0), m, 3)) {
            double before = heldOutKl(teacher, student);
            List<long[]> train = prompts(64, 1);
            DataSource source = new DataSource.OnlineTeacher(new Sampler(teacher, null), train, new BatchOrder(train.size(), 16, 1, 0), SAMPLING);
            KdObjective objective = new KdObjective(student, teacher, source, new DistillationLoss(new ForwardKl(), 1.0), 0, 1,
                    Set.of(2), Map::of);
            TrainConfig config = TrainConfig.steps(60).constantLr(3e-3).warmupSteps(5).weightDecay(0).evalEvery(0).saveEvery(1000).logEvery(10).build();
            TrainTestSupport.train(student, config, tmp.resolve("kd"), objective);
            double after = heldOutKl(teacher, student);
            assertThat(after).isLessThan(0.6 * before);
        }
    }

    @Test
    void onlineStudentSamplesFromTheCurrentStudent() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m);
             Transformer student = Transformer.random(ModelConfig.llama(64, 32, 64, 1, 4, 2, 64, true, 1, 2, 0), m, 3)) {
            List<long[]> train = prompts(32, 1);
            DataSource.OnlineStudent source = new DataSource.OnlineStudent(new Sampler(student, null), train,
                    new BatchOrder(train.size(), 16, 1, 0), SAMPLING);
            List<String> first = responses(source.batch(0, 0));
            assertThat(responses(source.batch(0, 0))).as("same weights, same step: same samples").isEqualTo(first);
            KdObjective objective = new KdObjective(student, teacher, source, new DistillationLoss(new ForwardKl(), 1.0), 0, 1,
                    Set.of(2), Map::of);
            TrainTestSupport.train(student,
                    TrainConfig.steps(20).constantLr(1e-2).warmupSteps(0).weightDecay(0).evalEvery(0).saveEvery(1000).logEvery(10).build(),
                    tmp.resolve("s"), objective);
            List<String> later = responses(source.batch(0, 0));
            assertThat(later).as("the student changed, so its samples did").isNotEqualTo(first);
            // and they are the student's: its own log-likelihood of them beats the untrained copy's
            try (Transformer fresh = Transformer.random(ModelConfig.llama(64, 32, 64, 1, 4, 2, 64, true, 1, 2, 0), m, 3)) {
                assertThat(meanLogProb(student, source.batch(0, 0))).isGreaterThan(meanLogProb(fresh, source.batch(0, 0)));
            }
        }
    }

    private static double meanLogProb(Transformer model, List<Example> batch) {
        List<long[]> p = new ArrayList<>();
        List<long[]> r = new ArrayList<>();
        for (Example e : batch) {
            p.add(e.prompt());
            r.add(e.response());
        }
        try (NDManager m = model.manager().newSubManager()) {
            return org.distill4j.lm.LanguageModel.responseLogProbs(model, m, p, r).sum().toFloatArray()[0];
        }
    }

    private static List<String> responses(List<Example> batch) {
        return batch.stream().map(e -> java.util.Arrays.toString(e.response())).toList();
    }

    @Test
    void vocabulariesThatDifferOnlyByPaddingAreAligned() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m);
             Transformer student = Transformer.random(ModelConfig.llama(72, 32, 64, 1, 4, 2, 64, true, 1, 2, 0), m, 3)) {
            List<long[]> train = prompts(16, 1);
            List<Example> data = new ArrayList<>();
            for (Sample s : new Sampler(teacher, null).generate(train, SAMPLING)) {
                data.add(new Example(train.get(s.promptIndex()), s.tokens()));
            }
            KdObjective objective = new KdObjective(student, teacher, new DataSource.Offline(data, new BatchOrder(16, 8, 1, 0)),
                    new DistillationLoss(new ForwardKl(), 1.0), 0, 1, Set.of(2), Map::of, 8);
            Trainer.Result r;
            try (objective) {
                r = TrainTestSupport.train(student,
                        TrainConfig.steps(3).constantLr(1e-3).warmupSteps(0).weightDecay(0).evalEvery(0).saveEvery(1000).logEvery(1).build(),
                        tmp.resolve("pad"), objective);
            }
            assertThat(r.lastRow().get("train_loss").asDouble()).isFinite().isPositive();
            assertThat(r.lastRow().get("teacher_topk_mass").asDouble()).isBetween(0.0, 1.0);
        }
    }
}
