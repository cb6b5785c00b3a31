package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Diagnostics on hand-made distributions with known top-2 sets. */
class DiagnosticsTest {
    private static final Shape SHAPE = new Shape(1, 3, 4);
    private static final Shape BT = new Shape(1, 3);
    // position 0: teacher top-2 {0, 1}, student top-2 {3, 2} — disjoint
    // position 1: teacher top-2 {0, 2}, student top-2 {3, 0} — one shared
    // position 2: padding (NaN), masked out
    private static final double[][] P = {{0.5, 0.3, 0.15, 0.05}, {0.4, 0.1, 0.3, 0.2}};
    private static final double[][] Q = {{0.1, 0.2, 0.3, 0.4}, {0.35, 0.05, 0.2, 0.4}};
    private static final float[] MASK = {1, 1, 0};
    private static NDManager base;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        base.close();
    }

    private static float[] logits(double[][] rows) {
        float[] out = new float[12];
        for (int pos = 0; pos < 2; pos++) {
            for (int v = 0; v < 4; v++) {
                out[pos * 4 + v] = (float) Math.log(rows[pos][v]);
            }
        }
        java.util.Arrays.fill(out, 8, 12, Float.NaN);
        return out;
    }

    @Test
    void handValuesAgainstFullTeacherLogits() {
        try (NDManager m = base.newSubManager()) {
            NDArray student = m.create(logits(Q), SHAPE);
            NDArray teacher = m.create(logits(P), SHAPE);
            NDArray mask = m.create(MASK, BT);
            int before = ((BaseNDManager) m).getManagedArrays().size();
            Diagnostics d = Diagnostics.of(student, teacher, mask, 2, 1.0);
            assertThat(((BaseNDManager) m).getManagedArrays()).as("no arrays left behind").hasSize(before);

            assertThat(d.forwardKl()).isCloseTo((Reference.kl(P[0], Q[0]) + Reference.kl(P[1], Q[1])) / 2, within(1e-6));
            assertThat(d.reverseKl()).isCloseTo((Reference.kl(Q[0], P[0]) + Reference.kl(Q[1], P[1])) / 2, within(1e-6));
            assertThat(d.teacherMassOnStudentTopK()).isCloseTo(((0.15 + 0.05) + (0.2 + 0.4)) / 2, within(1e-6));
            assertThat(d.studentMassOnTeacherTopK()).isCloseTo(((0.1 + 0.2) + (0.35 + 0.2)) / 2, within(1e-6));
            assertThat(d.teacherTopKMass()).isCloseTo((0.8 + 0.7) / 2, within(1e-6));
            assertThat(d.topKOverlap()).isCloseTo((0 + 0.5) / 2, within(1e-6));
            assertThat(d.tokens()).isEqualTo(2);
            assertThat(d.metrics("kd/")).containsOnlyKeys("kd/fkl", "kd/rkl", "kd/teacher_mass_on_student_top2",
                    "kd/student_mass_on_teacher_top2", "kd/teacher_top2_mass", "kd/top2_overlap");
        }
    }

    @Test
    void topKTeacherGivesTheSameMassesAndCoarsenedKls() {
        try (NDManager m = base.newSubManager()) {
            NDArray student = m.create(logits(Q), SHAPE);
            NDArray teacher = m.create(logits(P), SHAPE);
            NDArray mask = m.create(MASK, BT);
            Diagnostics dense = Diagnostics.of(student, teacher, mask, 2, 1.0);
            Diagnostics sparse = Diagnostics.of(student, SparseTeacher.tensorsFromLogits(teacher, 2, 1.0), mask);
            assertThat(sparse.teacherMassOnStudentTopK()).isNaN();
            assertThat(sparse.studentMassOnTeacherTopK()).isCloseTo(dense.studentMassOnTeacherTopK(), within(1e-6));
            assertThat(sparse.teacherTopKMass()).isCloseTo(dense.teacherTopKMass(), within(1e-6));
            assertThat(sparse.topKOverlap()).isCloseTo(dense.topKOverlap(), within(1e-6));
            assertThat(sparse.forwardKl()).isLessThanOrEqualTo(dense.forwardKl() + 1e-6);
            assertThat(sparse.metrics("")).doesNotContainKey("teacher_mass_on_student_top2");

            Diagnostics complete = Diagnostics.of(student, SparseTeacher.tensorsFromLogits(teacher, 4, 1.0), mask);
            Diagnostics denseComplete = Diagnostics.of(student, teacher, mask, 4, 1.0);
            assertThat(complete.forwardKl()).isCloseTo(denseComplete.forwardKl(), within(1e-6));
            assertThat(complete.reverseKl()).isCloseTo(denseComplete.reverseKl(), within(1e-6));
            assertThat(complete.studentMassOnTeacherTopK()).isCloseTo(1, within(1e-6));
            assertThat(complete.topKOverlap()).isEqualTo(1);
        }
    }

    @Test
    void recordsNoGradient() {
        try (NDManager m = base.newSubManager()) {
            NDArray student = m.create(logits(Q), SHAPE);
            student.setRequiresGradient(true);
            try (var gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                Diagnostics.of(student, m.create(logits(P), SHAPE), m.create(MASK, BT), 2, 1.0);
                NDArray loss = new DistillationLoss(new ForwardKl(), 1).loss(student, m.create(logits(P), SHAPE),
                        m.create(MASK, BT), Reduction.TOKEN_MEAN);
                gc.backward(loss);
            }
            assertThat(LossTestSupport.allFinite(student.getGradient().toFloatArray())).isTrue();
        }
    }
}
