package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.distill4j.gad.GadTestSupport.assertClose;
import static org.distill4j.gad.GadTestSupport.flat;
import static org.distill4j.gad.GadTestSupport.shapeOf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link BradleyTerry} against tools/fixtures/gad_fixtures.py (−logsigmoid in float64 torch, autograd gradients),
 * against finite differences, and its closed forms and extremes.
 */
class BradleyTerryTest {
    private static final Function<NDList, NDArray> LOSS = xs -> BradleyTerry.loss(xs.get(0), xs.get(1));
    private static NDManager base;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        base.close();
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT64"})
    void lossGradientsAndAccuracyMatchTorch(DataType type) {
        JsonNode cases = GadTestSupport.fixture("bradley_terry.json").get("cases");
        assertThat(cases.size()).isEqualTo(3);
        for (JsonNode c : cases) {
            String name = c.get("name").asText();
            double[][] inputs = {flat(c.get("teacher")), flat(c.get("student"))};
            Shape[] shapes = {shapeOf(c.get("teacher")), shapeOf(c.get("student"))};
            GadTestSupport.Evaluated e = GadTestSupport.withGradient(base, type, LOSS, 2, inputs, shapes);
            assertClose(e.value(), c.get("loss").asDouble(), type, name + " loss");
            assertClose(e.gradients()[0], flat(c.get("grad_teacher")), type, name + " d/d teacher");
            assertClose(e.gradients()[1], flat(c.get("grad_student")), type, name + " d/d student");
            try (NDManager m = base.newSubManager()) {
                double accuracy = BradleyTerry.accuracy(GadTestSupport.array(m, c.get("teacher"), type),
                        GadTestSupport.array(m, c.get("student"), type));
                assertThat(accuracy).as(name + " accuracy").isEqualTo(c.get("accuracy").asDouble());
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        Random rng = new Random(5);
        double[] teacher = new double[3];
        double[] student = new double[12];
        for (int i = 0; i < teacher.length; i++) {
            teacher[i] = 2 * rng.nextGaussian();
        }
        for (int i = 0; i < student.length; i++) {
            student[i] = 2 * rng.nextGaussian();
        }
        double[][] inputs = {teacher, student};
        Shape[] shapes = {new Shape(3), new Shape(3, 4)};
        GadTestSupport.Evaluated e = GadTestSupport.withGradient(base, DataType.FLOAT64, LOSS, 2, inputs, shapes);
        for (int which = 0; which < 2; which++) {
            double[] fd = GadTestSupport.finiteDifferences(base, LOSS, which, 1e-6, inputs, shapes);
            for (int k = 0; k < fd.length; k++) {
                assertThat(e.gradients()[which][k]).as("input %d, entry %d", which, k)
                        .isCloseTo(fd[k], offset(1e-8));
            }
        }
        // the teacher's gradient is minus the row sum of the students': only differences enter the loss
        for (int p = 0; p < 3; p++) {
            double rowSum = 0;
            for (int i = 0; i < 4; i++) {
                rowSum += e.gradients()[1][p * 4 + i];
            }
            assertThat(e.gradients()[0][p]).isCloseTo(-rowSum, offset(1e-15));
        }
    }

    @Test
    void equalScoresGiveLn2AndHalfAccuracy() {
        double[][] inputs = {{0.7, -1.5}, {0.7, 0.7, 0.7, -1.5, -1.5, -1.5}};
        GadTestSupport.Evaluated e = GadTestSupport.withGradient(base, DataType.FLOAT32, LOSS, 2, inputs, new Shape(2), new Shape(2, 3));
        assertThat(e.value()).isCloseTo(Math.log(2), offset(1e-7));
        // d/ds of softplus(s − t) at 0 is σ(0) = ½, over 6 pairs
        for (double g : e.gradients()[1]) {
            assertThat(g).isCloseTo(1.0 / 12, offset(1e-8));
        }
        for (double g : e.gradients()[0]) {
            assertThat(g).isCloseTo(-3.0 / 12, offset(1e-8));
        }
        try (NDManager m = base.newSubManager()) {
            NDArray t = m.create(new float[] {0.7f, -1.5f});
            NDArray s = m.create(new float[] {0.7f, 0.7f, 0.7f, -1.5f, -1.5f, -1.5f}, new Shape(2, 3));
            assertThat(BradleyTerry.accuracy(t, s)).isEqualTo(0.5);
        }
    }

    @Test
    void extremeMarginsStayFiniteInFloat32() {
        for (double gap : new double[] {100, 1000}) {
            // pairs with t − s = +gap (loss ≈ 0) and −gap (loss ≈ gap, gradient σ(gap) ≈ 1, over 2 pairs)
            double[][] inputs = {{gap / 2, -gap / 2}, {-gap / 2, gap / 2}};
            GadTestSupport.Evaluated e = GadTestSupport.withGradient(base, DataType.FLOAT32, LOSS, 2, inputs, new Shape(2), new Shape(2, 1));
            assertThat(GadTestSupport.allFinite(e.value())).isTrue();
            assertThat(e.value()).isCloseTo(gap / 2, offset(1e-4 * gap));
            assertThat(GadTestSupport.allFinite(e.gradients()[0])).isTrue();
            assertThat(GadTestSupport.allFinite(e.gradients()[1])).isTrue();
            assertThat(e.gradients()[1][1]).isCloseTo(0.5, offset(1e-6));
            assertThat(e.gradients()[1][0]).isCloseTo(0.0, offset(1e-6));
            try (NDManager m = base.newSubManager()) {
                double accuracy = BradleyTerry.accuracy(m.create(new float[] {(float) gap / 2, (float) -gap / 2}),
                        m.create(new float[] {(float) -gap / 2, (float) -gap / 2}, new Shape(2, 1)));
                assertThat(accuracy).isEqualTo(0.75); // t − s = gap and 0: one win, one tie
            }
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        try (NDManager m = base.newSubManager()) {
            NDArray t = m.zeros(new Shape(3));
            assertThatThrownBy(() -> BradleyTerry.loss(t, m.zeros(new Shape(2, 4)))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[P, N]");
            assertThatThrownBy(() -> BradleyTerry.accuracy(t, m.zeros(new Shape(3)))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> BradleyTerry.loss(t, m.zeros(new Shape(3, 0)))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no pairs");
        }
    }

    @Test
    void leavesNoArraysBehindButTheLoss() {
        try (NDManager m = base.newSubManager()) {
            NDArray t = m.create(new float[] {1, 2});
            NDArray s = m.create(new float[] {0, 1, 2, 3}, new Shape(2, 2));
            int before = m.getManagedArrays().size();
            NDArray loss = BradleyTerry.loss(t, s);
            BradleyTerry.accuracy(t, s);
            assertThat(m.getManagedArrays()).hasSize(before + 1).contains(loss);
        }
    }
}
