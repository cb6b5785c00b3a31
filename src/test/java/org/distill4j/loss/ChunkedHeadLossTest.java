package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The block-wise head + loss gives the same objective and the same gradient on every student parameter
 * as the plain computation (full logits, autograd through the divergence), for several divergences,
 * temperatures, masks, a cross-entropy term, a top-k teacher, block sizes that do not divide N, an
 * untied head and a student vocabulary padded beyond the teacher's.
 */
class ChunkedHeadLossTest {
    private static final int B = 3;
    private static final int T = 7;
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void forwardKlMatchesThePlainLossAndGradients() {
        compare(new DistillationLoss(new ForwardKl(), 1.0), 0, 0, 4, true, 0);
    }

    @Test
    void jsdAtTemperatureTwoWithCrossEntropyAndOneBlock() {
        compare(new DistillationLoss(new Jsd(0.3), 2.0), 0.5, 0, 1000, true, 0);
    }

    @Test
    void skewReverseKlAgainstATopKTeacherWithSingleRowBlocks() {
        compare(new DistillationLoss(new SkewReverseKl(0.1), 1.0), 0, 5, 1, true, 0);
    }

    @Test
    void untiedHeadAndPaddedStudentVocabulary() {
        compare(new DistillationLoss(new ReverseKl(), 1.5), 0.25, 0, 5, false, 6);
    }

    @Test
    void crossEntropyAloneAsSupervisedTrainingUsesIt() {
        compare(null, 1.0, 0, 6, true, 0);
    }

    @Test
    void withoutGradientModeItOnlyEvaluatesAndDiagnosticsMatch() {
        Transformer teacher = model(40, 24, true, 11);
        Transformer student = model(40, 16, true, 12);
        long[] ids = ids(40);
        float[] mask = mask();
        DistillationLoss loss = new DistillationLoss(new ForwardKl(), 1.0);
        try (NDManager m = manager.newSubManager()) {
            NDArray input = m.create(ids, new Shape(B, T));
            NDArray w = m.create(mask, new Shape(B, T));
            NDArray sl = student.forward(input, null, null, null);
            NDArray tl = teacher.forward(input, null, null, null);
            double plain = Reduction.SUM.reduce(loss.perToken(sl, tl, w), w).getFloat();
            Diagnostics full = Diagnostics.of(sl, tl, w, 3, 1.0);
            NDArray th = teacher.hidden(input, null, null, null).reshape(B * T, -1);
            ChunkedHeadLoss.Result r = new ChunkedHeadLoss(loss, 4).compute(student.hidden(input, null, null, null).reshape(B * T, -1),
                    student.headWeight(), 40, dense(teacher, th, 40), w.reshape(B * T), null, 0, 1.0, 3);
            // block-wise and one-block are other algorithms (sums over 4-row blocks, the head's products in other shapes):
            // equal in exact arithmetic, apart by float32 rounding of a few ops (~1e-7 relative each) over 40 ids
            assertThat(r.divergence()).isCloseTo(plain, within(1e-5 * Math.max(1, Math.abs(plain))));
            assertThat(r.objective().getFloat()).isCloseTo((float) plain, within(1e-4f));
            assertThat(r.diagnostics().forwardKl()).isCloseTo(full.forwardKl(), within(1e-5));
            assertThat(r.diagnostics().reverseKl()).isCloseTo(full.reverseKl(), within(1e-5));
            assertThat(r.diagnostics().topKOverlap()).isCloseTo(full.topKOverlap(), within(1e-6));
            assertThat(r.diagnostics().teacherMassOnStudentTopK()).isCloseTo(full.teacherMassOnStudentTopK(), within(1e-6));
            assertThat(r.diagnostics().tokens()).isEqualTo(full.tokens());
        }
    }

    @Test
    void softCappedStudentLogitsAsGemma2s() {
        // the gemma2 parity fixture caps its logits at 5 (final_logit_softcapping), which bends them: plain autograd
        // through the capped logits and the block-wise gradient must agree, block-wise and in one block
        Transformer student = Checkpoint.loadTransformer(Fixtures.path("families/gemma2"), manager);
        assertThat(student.config().finalLogitSoftcap()).isEqualTo(5.0);
        int vocab = student.config().vocabSize();
        compare(new DistillationLoss(new ForwardKl(), 1.0), 0.5, 0, 4, model(vocab, 24, true, 1), student, vocab);
        compare(null, 1.0, 0, 1000, null, student, vocab);
    }

    @Test
    void aFrozenHeadGetsNoGradientAndTheRestOfTheNetworkTheSame() {
        // LoRA freezes the head: the block-wise path then builds no [V, H] gradient, and what reaches the layers is unchanged
        Transformer student = model(40, 16, false, 2);
        student.setTrainable(true);
        Map<String, float[]> trained = blockWiseGradients(student);
        student.headWeight().setRequiresGradient(false);
        Map<String, float[]> frozen = blockWiseGradients(student);
        assertThat(student.headWeight().hasGradient()).isFalse();
        assertThat(frozen).doesNotContainKey("lm_head.weight");
        trained.remove("lm_head.weight");
        assertThat(frozen.keySet()).isEqualTo(trained.keySet());
        GradientSnapshot.assertClose(trained, frozen, 1e-6);
    }

    private Map<String, float[]> blockWiseGradients(Transformer student) {
        long[] ids = ids(40);
        try (NDManager m = manager.newSubManager()) {
            NDArray input = m.create(ids, new Shape(B, T));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray hidden = student.hidden(input, null, null, null).reshape(B * T, -1);
                gc.backward(new ChunkedHeadLoss(null, 5).compute(hidden, student.headWeight(), 40, null,
                        m.create(mask(), new Shape(B * T)), m.create(next(ids, 40), new Shape(B * T)), 1.0, 0.1, 0).objective());
            }
        }
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        for (var e : student.parameters().entrySet()) {
            if (e.getValue().hasGradient()) {
                NDArray g = e.getValue().getGradient();
                out.put(e.getKey(), g.toFloatArray());
                g.subi(g);
                g.close();
            }
        }
        return out;
    }

    /** Objective and gradients, plain vs blocks; {@code extraVocab} pads the student's vocabulary. */
    private void compare(DistillationLoss loss, double ce, int topK, int rows, boolean tied, int extraVocab) {
        int vocab = 40;
        compare(loss, ce, topK, rows, model(vocab, 24, true, 1), model(vocab + extraVocab, 16, tied, 2), vocab);
    }

    private void compare(DistillationLoss loss, double ce, int topK, int rows, Transformer teacher, Transformer student, int vocab) {
        student.setTrainable(true);
        long[] ids = ids(vocab);
        float[] mask = mask();
        double scale = 1.0 / 17;
        double temperature = loss == null ? 1.0 : loss.temperature();

        float plainValue;
        Map<String, float[]> plainGrads;
        try (NDManager m = manager.newSubManager()) {
            NDArray input = m.create(ids, new Shape(B, T));
            NDArray w = m.create(mask, new Shape(B, T));
            NDArray targets = m.create(next(ids, vocab), new Shape(B, T));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray sl = student.forward(input, null, null, null).get(new NDIndex(":, :, :" + vocab));
                NDArray tl = teacher == null ? null : teacher.forward(input, null, null, null).stopGradient();
                NDArray objective = m.zeros(new Shape());
                if (loss != null) {
                    NDArray perToken = topK > 0 ? loss.perToken(sl, SparseTeacher.tensorsFromLogits(tl, topK, temperature), w)
                            : loss.perToken(sl, tl, w);
                    objective = Reduction.SUM.reduce(perToken, w);
                }
                if (ce > 0) {
                    NDArray nll = sl.logSoftmax(2).gather(targets.expandDims(2), 2).squeeze(2).neg();
                    objective = objective.add(Reduction.SUM.reduce(nll, w).mul((float) ce));
                }
                objective = objective.mul((float) scale);
                plainValue = objective.getFloat();
                gc.backward(objective);
            }
            plainGrads = GradientSnapshot.take(student);
        }

        float chunkedValue;
        try (NDManager m = manager.newSubManager()) {
            NDArray input = m.create(ids, new Shape(B, T));
            NDArray w = m.create(mask, new Shape(B * T));
            NDArray targets = m.create(next(ids, vocab), new Shape(B * T));
            NDArray th = teacher == null ? null : teacher.hidden(input, null, null, null).reshape(B * T, -1).stopGradient();
            ChunkedHeadLoss.TeacherRows rowsOf = loss == null ? null : topK == 0 ? dense(teacher, th, vocab) : (from, to, bm) -> {
                NDArray tl = teacher.logits(ChunkedHeadLoss.rows(th, from, to, bm)).expandDims(0);
                return new ChunkedHeadLoss.TeacherBlock(tl, SparseTeacher.tensorsFromLogits(tl, topK, temperature));
            };
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray hidden = student.hidden(input, null, null, null).reshape(B * T, -1);
                ChunkedHeadLoss.Result r = new ChunkedHeadLoss(loss, rows, student.config().finalLogitSoftcap()).compute(hidden, student.headWeight(), vocab, rowsOf, w,
                        ce > 0 ? targets : null, ce, scale, 0);
                chunkedValue = r.objective().getFloat();
                gc.backward(r.objective());
            }
        }
        Map<String, float[]> chunkedGrads = GradientSnapshot.take(student);

        // other algorithms for the same quantity (gradient taken block by block, then G·W and Gᵀ·h): float32 rounding only
        assertThat(chunkedValue).isCloseTo(plainValue, within(2e-5f * Math.max(1f, Math.abs(plainValue))));
        GradientSnapshot.assertClose(plainGrads, chunkedGrads, 1e-4);
    }

    private static ChunkedHeadLoss.TeacherRows dense(Transformer teacher, NDArray teacherHidden, int vocab) {
        return (from, to, bm) -> new ChunkedHeadLoss.TeacherBlock(
                teacher.logits(ChunkedHeadLoss.rows(teacherHidden, from, to, bm)).get(new NDIndex(":, :" + vocab)).expandDims(0), null);
    }

    private Transformer model(int vocab, int hidden, boolean tied, long seed) {
        return Transformer.random(ModelConfig.llama(vocab, hidden, 2 * hidden, 2, 4, 2, 32, tied, 1, 2, 0), manager, seed);
    }

    private static long[] ids(int vocab) {
        SplittableRandom rng = new SplittableRandom(5);
        long[] ids = new long[B * T];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(vocab);
        }
        return ids;
    }

    private static long[] next(long[] ids, int vocab) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (ids[i] * 7 + 3) % vocab;
        }
        return out;
    }

    /** Prompt and padding positions masked out, and one fully masked row. */
    private static float[] mask() {
        float[] m = new float[B * T];
        for (int t = 2; t < T; t++) {
            m[t] = 1;
        }
        for (int t = 0; t < 5; t++) {
            m[T + t] = 1;
        }
        return m;
    }
}
