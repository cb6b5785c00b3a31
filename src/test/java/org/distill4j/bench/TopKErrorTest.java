package org.distill4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.distill4j.data.Example;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.ForwardKl;
import org.distill4j.loss.Jsd;
import org.junit.jupiter.api.Test;

class TopKErrorTest {
    private static final int VOCAB = 24;

    private static List<Example> examples(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] p = new long[2 + rng.nextInt(4)];
            long[] r = new long[1 + rng.nextInt(6)];
            for (int j = 0; j < p.length; j++) {
                p[j] = 3 + rng.nextInt(VOCAB - 3);
            }
            for (int j = 0; j < r.length; j++) {
                r[j] = 3 + rng.nextInt(VOCAB - 3);
            }
            out.add(new Example(p, r));
        }
        return out;
    }

    private static List<TopKError.Row> rows(DistillationLoss loss, List<Integer> ks) {
        ModelConfig c = ModelConfig.llama(VOCAB, 16, 32, 1, 2, 1, 32, true, 1, 2, 0);
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = Transformer.random(c, m, 1);
             Transformer student = Transformer.random(c, m, 2)) {
            return TopKError.measure(teacher, student, examples(10, 5), ks, loss, 4);
        }
    }

    @Test
    void aTailOfOneTokenIsTheFullVocabularyAndSmallerKLosesMonotonically() {
        List<TopKError.Row> rows = rows(new DistillationLoss(new ForwardKl(), 1.0), List.of(1, 4, 12, VOCAB - 1, VOCAB, 99));
        assertThat(rows).extracting(TopKError.Row::k).containsExactly(VOCAB, 1, 4, 12, VOCAB - 1);
        TopKError.Row full = rows.get(0);
        assertThat(full.lossFull()).isPositive();
        assertThat(full.bytesPerPosition()).isEqualTo(4L * VOCAB);
        // k = V − 1: the tail holds exactly one token, so the partition is the vocabulary itself
        TopKError.Row all = rows.get(4);
        assertThat(all.lossTopK()).isCloseTo(full.lossFull(), within(1e-5));
        assertThat(all.gradCosine()).isCloseTo(1.0, within(1e-5));
        assertThat(all.gradRelError()).isLessThan(1e-3);
        // nested partitions (top-(k+1) refines top-k): the coarsened KL and the kept mass grow with k
        for (int i = 2; i < rows.size(); i++) {
            assertThat(rows.get(i).lossTopK()).isGreaterThanOrEqualTo(rows.get(i - 1).lossTopK() - 1e-6);
            assertThat(rows.get(i).teacherMass()).isGreaterThan(rows.get(i - 1).teacherMass());
        }
        assertThat(rows.get(1).lossTopK()).isLessThan(full.lossFull());
        assertThat(rows.get(1).bytesPerPosition()).isEqualTo(8 + 8);
    }

    @Test
    void worksForEveryDivergence() {
        List<TopKError.Row> rows = rows(new DistillationLoss(new Jsd(0.5), 2.0), List.of(2, VOCAB - 1));
        assertThat(rows.get(2).lossTopK()).isCloseTo(rows.get(0).lossFull(), within(1e-5));
        assertThat(rows.get(1).gradCosine()).isBetween(-1.0, 1.0);
    }
}
