package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Masks and the three reductions. */
class ReductionTest {
    private static final Shape BT = new Shape(2, 3);
    private static NDManager base;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        base.close();
    }

    private static float reduce(Reduction r, float[] perPosition, float[] mask) {
        try (NDManager m = base.newSubManager()) {
            return r.reduce(m.create(perPosition, BT), m.create(mask, BT)).getFloat();
        }
    }

    @Test
    void handValuesWithAnEmptySequenceAndNaNAtAMaskedPosition() {
        float[] d = {1, 2, 3, Float.NaN, 5, 6};
        float[] mask = {0, 1, 1, 0, 0, 0}; // the second sequence has no response token
        assertThat(reduce(Reduction.TOKEN_MEAN, d, mask)).isEqualTo(2.5f);
        assertThat(reduce(Reduction.SEQUENCE_MEAN, d, mask)).isEqualTo(5f); // one non-empty sequence
        assertThat(reduce(Reduction.SUM, d, mask)).isEqualTo(5f);
        float[] both = {0, 1, 1, 1, 1, 0}; // sequence sums 2 + 3 = 5 and 4 + 5 = 9
        float[] d2 = {1, 2, 3, 4, 5, 6};
        assertThat(reduce(Reduction.TOKEN_MEAN, d2, both)).isEqualTo(14f / 4);
        assertThat(reduce(Reduction.SEQUENCE_MEAN, d2, both)).isEqualTo(14f / 2);
    }

    @Test
    void fractionalWeights() {
        float[] d = {1, 2, 3, 4, 5, 6};
        float[] weights = {0.5f, 1, 0, 1, 0, 0};
        assertThat(reduce(Reduction.TOKEN_MEAN, d, weights)).isCloseTo((0.5f + 2 + 4) / 2.5f, within(1e-6f));
        assertThat(reduce(Reduction.SUM, d, weights)).isCloseTo(6.5f, within(1e-6f));
    }

    @Test
    void anEmptyMaskIsZeroNotNaN() {
        float[] d = {1, 2, 3, 4, 5, Float.NaN};
        for (Reduction r : Reduction.values()) {
            assertThat(reduce(r, d, new float[6])).as("%s", r).isZero();
        }
    }

    @Test
    void maskedPerTokenIsTheUnmaskedValueAtValidPositionsAndZeroElsewhere() {
        Random rng = new Random(8);
        Shape shape = new Shape(2, 3, 5);
        float[] student = LossTestSupport.randomLogits(rng, 30, 1.0);
        float[] teacher = LossTestSupport.randomLogits(rng, 30, 1.0);
        float[] mask = {1, 0, 1, 0, 1, 1};
        DistillationLoss loss = new DistillationLoss(new Jsd(0.5), 1.5);
        try (NDManager m = base.newSubManager()) {
            NDArray s = m.create(student, shape);
            NDArray t = m.create(teacher, shape);
            float[] all = loss.perToken(s, t).toFloatArray();
            float[] masked = loss.perToken(s, t, m.create(mask, BT)).toFloatArray();
            for (int i = 0; i < mask.length; i++) {
                assertThat(masked[i]).isEqualTo(mask[i] == 0 ? 0f : all[i]);
            }
        }
    }

    @Test
    void perTokenLeavesOnlyItsResultInTheStudentsManager() {
        Random rng = new Random(10);
        Shape shape = new Shape(2, 3, 5);
        try (NDManager m = base.newSubManager()) {
            NDArray s = m.create(LossTestSupport.randomLogits(rng, 30, 1.0), shape);
            NDArray t = m.create(LossTestSupport.randomLogits(rng, 30, 1.0), shape);
            NDArray mask = m.create(new float[] {1, 1, 0, 1, 1, 1}, BT);
            SparseTeacher.Tensors sparse = SparseTeacher.tensorsFromLogits(t, 2, 1);
            int before = ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size();
            for (Divergence d : LossTestSupport.ALL) {
                DistillationLoss loss = new DistillationLoss(d, 1);
                loss.perToken(s, t, mask).close();
                loss.perToken(s, t).close();
                loss.perToken(s, sparse, mask).close();
            }
            assertThat(((ai.djl.ndarray.BaseNDManager) m).getManagedArrays()).hasSize(before);
        }
    }

    @Test
    void sequenceMeanAndSumGradientsAreTheTokenMeanGradientRescaled() {
        Random rng = new Random(9);
        Shape shape = new Shape(2, 3, 5);
        float[] student = LossTestSupport.randomLogits(rng, 30, 1.0);
        float[] teacher = LossTestSupport.randomLogits(rng, 30, 1.0);
        float[] mask = {0, 1, 1, 1, 1, 1}; // 5 tokens in 2 sequences
        DistillationLoss loss = new DistillationLoss(new ForwardKl(), 1);
        LossTestSupport.Evaluated token = LossTestSupport.evaluate(base, student, teacher, mask, shape,
                in -> loss.loss(in.student(), in.teacher(), in.mask(), Reduction.TOKEN_MEAN));
        LossTestSupport.Evaluated sequence = LossTestSupport.evaluate(base, student, teacher, mask, shape,
                in -> loss.loss(in.student(), in.teacher(), in.mask(), Reduction.SEQUENCE_MEAN));
        LossTestSupport.Evaluated sum = LossTestSupport.evaluate(base, student, teacher, mask, shape,
                in -> loss.loss(in.student(), in.teacher(), in.mask(), Reduction.SUM));
        assertThat(sequence.value()).isCloseTo(token.value() * 5 / 2, within(1e-5f));
        assertThat(sum.value()).isCloseTo(token.value() * 5, within(1e-5f));
        for (int i = 0; i < 30; i++) {
            assertThat(sequence.gradient()[i]).isCloseTo(token.gradient()[i] * 5 / 2, within(1e-6f));
            assertThat(sum.gradient()[i]).isCloseTo(token.gradient()[i] * 5, within(1e-6f));
        }
    }
}
