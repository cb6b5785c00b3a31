package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Random;
import org.distill4j.lm.Safetensors;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Top-k teacher with a tail bucket: construction, k = V, coarsening, persistence, misuse. */
class SparseTeacherTest {
    private static final int B = 2;
    private static final int T = 3;
    private static final int V = 8;
    private static final Shape SHAPE = new Shape(B, T, V);
    private static final Shape BT = new Shape(B, T);
    private static NDManager base;
    private static float[] student;
    private static float[] teacher;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
        Random rng = new Random(21);
        student = LossTestSupport.randomLogits(rng, B * T * V, 1.5);
        teacher = LossTestSupport.randomLogits(rng, B * T * V, 1.5);
        student[V - 1] = Float.NEGATIVE_INFINITY; // a masked vocabulary entry at (0, 0)
        teacher[V - 1] = Float.NEGATIVE_INFINITY;
    }

    @AfterAll
    static void close() {
        base.close();
    }

    private static SparseTeacher sparse(int k, double temperature) {
        try (NDManager m = base.newSubManager()) {
            return SparseTeacher.fromLogits(m.create(teacher, SHAPE), k, temperature);
        }
    }

    @Test
    void topKAreTheLargestInOrderAndWithTheTailTheyHoldAllTheMass() {
        SparseTeacher s = sparse(3, 2.0);
        assertThat(s.k()).isEqualTo(3);
        assertThat(s.vocabSize()).isEqualTo(V);
        for (int pos = 0; pos < B * T; pos++) {
            double[] p = Reference.softmax(LossTestSupport.widen(java.util.Arrays.copyOfRange(teacher, pos * V, (pos + 1) * V)), 2.0);
            double kept = 0;
            for (int j = 0; j < 3; j++) {
                int id = s.indices()[pos * 3 + j];
                assertThat((double) s.logProbs()[pos * 3 + j]).isCloseTo(Math.log(p[id]), within(1e-5));
                if (j > 0) {
                    assertThat(s.logProbs()[pos * 3 + j]).isLessThanOrEqualTo(s.logProbs()[pos * 3 + j - 1]);
                }
                kept += p[id];
            }
            for (int v = 0; v < V; v++) {
                if (!contains(s.indices(), pos * 3, 3, v)) {
                    assertThat(p[v]).isLessThanOrEqualTo(Math.exp(s.logProbs()[pos * 3 + 2]) + 1e-7);
                }
            }
            assertThat(Math.exp(s.tailLogProbs()[pos])).isCloseTo(1 - kept, within(1e-6));
        }
    }

    private static boolean contains(int[] a, int from, int n, int value) {
        for (int i = from; i < from + n; i++) {
            if (a[i] == value) {
                return true;
            }
        }
        return false;
    }

    @Test
    void kEqualToTheVocabularyReproducesTheFullLossAndGradientWithAnEmptyTail() {
        float[] mask = {1, 1, 0, 1, 1, 1};
        for (double temperature : new double[] {1, 0.5}) {
            SparseTeacher full = sparse(V, temperature);
            for (float tail : full.tailLogProbs()) {
                assertThat(tail).isEqualTo(Float.NEGATIVE_INFINITY);
            }
            for (Divergence d : LossTestSupport.ALL) {
                DistillationLoss loss = new DistillationLoss(d, temperature);
                LossTestSupport.Evaluated dense = LossTestSupport.evaluate(base, student, teacher, mask, SHAPE,
                        in -> loss.loss(in.student(), in.teacher(), in.mask(), Reduction.TOKEN_MEAN));
                LossTestSupport.Evaluated topK = LossTestSupport.evaluate(base, student, teacher, mask, SHAPE,
                        in -> loss.loss(in.student(), full.toTensors(in.student().getManager()), in.mask(), Reduction.TOKEN_MEAN));
                assertThat(topK.value()).as("%s τ=%s", d, temperature).isCloseTo(dense.value(), within(2e-6f));
                assertThat(LossTestSupport.allFinite(topK.gradient())).isTrue();
                for (int i = 0; i < dense.gradient().length; i++) {
                    assertThat(topK.gradient()[i]).as("%s τ=%s gradient %d", d, temperature, i)
                            .isCloseTo(dense.gradient()[i], within(2e-6f));
                }
            }
        }
    }

    @Test
    void coarseningNeverIncreasesADivergenceAndGradientsStayFinite() {
        float[] mask = {1, 1, 1, 1, 1, 1};
        for (int k : new int[] {1, 3}) {
            SparseTeacher s = sparse(k, 1);
            for (Divergence d : LossTestSupport.ALL) {
                try (NDManager m = base.newSubManager()) {
                    DistillationLoss loss = new DistillationLoss(d, 1);
                    NDArray st = m.create(student, SHAPE);
                    float[] coarse = loss.perToken(st, s.toTensors(m), m.create(mask, BT)).toFloatArray();
                    float[] fine = loss.perToken(st, m.create(teacher, SHAPE)).toFloatArray();
                    for (int i = 0; i < coarse.length; i++) {
                        assertThat(coarse[i]).as("%s k=%d at %d (data processing inequality)", d, k, i)
                                .isLessThanOrEqualTo(fine[i] + 1e-6f).isGreaterThanOrEqualTo(-1e-7f);
                    }
                }
                LossTestSupport.Evaluated e = LossTestSupport.evaluate(base, student, teacher, mask, SHAPE,
                        in -> new DistillationLoss(d, 1).loss(in.student(), s.toTensors(in.student().getManager()), in.mask(),
                                Reduction.TOKEN_MEAN));
                assertThat(LossTestSupport.allFinite(e.gradient())).as("%s k=%d", d, k).isTrue();
            }
        }
    }

    @Test
    void savesAndLoadsThroughSafetensors(@TempDir Path dir) {
        SparseTeacher s = sparse(3, 0.7);
        Path file = dir.resolve("teacher.safetensors");
        s.save(file);
        assertThat(SparseTeacher.load(file)).isEqualTo(s);
        try (Safetensors.Reader in = Safetensors.open(file)) {
            assertThat(in.info("indices").shape()).containsExactly(B, T, 3);
            assertThat(in.info("indices").dtype()).isEqualTo(Safetensors.DType.I64);
            assertThat(in.info("log_probs").shape()).containsExactly(B, T, 3);
            assertThat(in.info("tail_log_prob").shape()).containsExactly(B, T);
            assertThat(in.metadata()).containsEntry("temperature", "0.7").containsEntry("vocab_size", "8").containsEntry("k", "3");
        }
    }

    @Test
    void rejectsFilesThatAreNotSparseTeachers(@TempDir Path dir) {
        Path other = dir.resolve("other.safetensors");
        new Safetensors.Writer().add("x", new float[] {1}, new long[] {1}, Safetensors.DType.F32).write(other);
        assertThatThrownBy(() -> SparseTeacher.load(other)).isInstanceOf(UserError.class).hasMessageContaining("not a sparse-teacher");
        Path outOfRange = dir.resolve("bad.safetensors");
        new Safetensors.Writer().metadata("kind", SparseTeacher.KIND).metadata("k", "1").metadata("vocab_size", "4")
                .metadata("temperature", "1.0")
                .addLongs("indices", new long[] {7}, new long[] {1, 1, 1})
                .add("log_probs", new float[] {0}, new long[] {1, 1, 1}, Safetensors.DType.F32)
                .add("tail_log_prob", new float[] {Float.NEGATIVE_INFINITY}, new long[] {1, 1}, Safetensors.DType.F32)
                .write(outOfRange);
        assertThatThrownBy(() -> SparseTeacher.load(outOfRange)).isInstanceOf(UserError.class).hasMessageContaining("outside the vocabulary");
    }

    @Test
    void refusesATeacherMadeAtAnotherTemperatureOrForAnotherVocabulary() {
        SparseTeacher s = sparse(3, 2.0);
        try (NDManager m = base.newSubManager()) {
            NDArray st = m.create(student, SHAPE);
            NDArray mask = m.ones(BT);
            SparseTeacher.Tensors tensors = s.toTensors(m);
            assertThatThrownBy(() -> new DistillationLoss(new ForwardKl(), 1.0).perToken(st, tensors, mask))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("temperature");
            NDArray wider = m.zeros(new Shape(B, T, V + 2));
            assertThatThrownBy(() -> new DistillationLoss(new ForwardKl(), 2.0).perToken(wider, tensors, m.ones(BT)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabulary");
        }
        assertThatThrownBy(() -> sparse(V + 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void constructionLeavesOnlyItsResultsInTheTeachersManager() {
        try (NDManager m = base.newSubManager()) {
            NDArray logits = m.create(teacher, SHAPE);
            int before = ((BaseNDManager) m).getManagedArrays().size();
            SparseTeacher.Tensors t = SparseTeacher.tensorsFromLogits(logits, 3, 1);
            assertThat(((BaseNDManager) m).getManagedArrays().size()).isEqualTo(before + 2);
            assertThat(t.indices().getShape()).isEqualTo(new Shape(B, T, 3));
            assertThat(t.logProbs().getShape()).isEqualTo(new Shape(B, T, 4));
            t.close();
            SparseTeacher.fromLogits(logits, 3, 1);
            assertThat(((BaseNDManager) m).getManagedArrays().size()).isEqualTo(before);
        }
    }
}
