package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.distill4j.gad.GadTestSupport.assertClose;
import static org.distill4j.gad.GadTestSupport.flat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link PolicyLoss} against tools/fixtures/gad_fixtures.py (verl's compute_policy_loss and low_var_kl re-written in
 * float64 torch, autograd gradients), finite differences, closed forms and padding/edge cases.
 */
class PolicyLossTest {
    private static NDManager base;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        base.close();
    }

    /** Host inputs: logp, old, ref (or null), advantages, mask; [B, R] except advantages [B]. */
    private record Batch(double[] logp, double[] old, double[] ref, double[] advantages, double[] mask, Shape shape) {
        static Batch fixture() {
            JsonNode in = GadTestSupport.fixture("policy_loss.json").get("inputs");
            return new Batch(flat(in.get("log_probs")), flat(in.get("old_log_probs")), flat(in.get("ref_log_probs")),
                    flat(in.get("advantages")), flat(in.get("mask")), GadTestSupport.shapeOf(in.get("log_probs")));
        }

        Batch withoutRef() {
            return new Batch(logp, old, null, advantages, mask, shape);
        }
    }

    /** The terms as doubles plus d loss / d logp. */
    private record Run(double loss, double policyLoss, double kl, double clipFraction, double[] gradient) {}

    private static Run run(PolicyLoss pl, Batch b, DataType type) {
        try (NDManager m = base.newSubManager()) {
            NDArray logp = GadTestSupport.array(m, b.logp(), b.shape(), type);
            logp.setRequiresGradient(true);
            NDArray old = GadTestSupport.array(m, b.old(), b.shape(), type);
            NDArray ref = b.ref() == null ? null : GadTestSupport.array(m, b.ref(), b.shape(), type);
            NDArray adv = GadTestSupport.array(m, b.advantages(), new Shape(b.shape().get(0)), type);
            NDArray mask = GadTestSupport.array(m, b.mask(), b.shape(), type);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                PolicyLoss.Terms t = pl.terms(logp, old, ref, adv, mask);
                double loss = GadTestSupport.host(t.loss())[0];
                gc.backward(t.loss());
                return new Run(loss, t.policyLoss(), t.kl(), t.clipFraction(), GadTestSupport.host(logp.getGradient()));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT64"})
    void termsAndGradientMatchTorch(DataType type) {
        Batch batch = Batch.fixture();
        JsonNode cases = GadTestSupport.fixture("policy_loss.json").get("cases");
        assertThat(cases.size()).isEqualTo(3);
        for (JsonNode c : cases) {
            PolicyLoss pl = new PolicyLoss(c.get("clip").asDouble(), c.get("kl_coef").asDouble());
            String name = pl.toString();
            Run r = run(pl, c.get("use_ref").asBoolean() ? batch : batch.withoutRef(), type);
            assertClose(r.loss(), c.get("loss").asDouble(), type, name + " loss");
            assertClose(r.policyLoss(), c.get("policy_loss").asDouble(), type, name + " policy loss");
            if (c.get("use_ref").asBoolean()) {
                assertClose(r.kl(), c.get("kl").asDouble(), type, name + " kl");
            } else {
                assertThat(r.kl()).as(name + " kl without a reference").isNaN();
            }
            assertThat(r.clipFraction()).as(name + " clip fraction").isCloseTo(c.get("clip_fraction").asDouble(), offset(1e-12));
            assertClose(r.gradient(), flat(c.get("grad")), type, name + " d loss / d logp");
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT64"})
    void k3MatchesTorchAcrossBothClamps(DataType type) {
        JsonNode k = GadTestSupport.fixture("policy_loss.json").get("k3");
        double[] lp = flat(k.get("log_probs"));
        double[] ref = flat(k.get("ref_log_probs"));
        Shape shape = new Shape(lp.length);
        try (NDManager m = base.newSubManager()) {
            NDArray x = GadTestSupport.array(m, lp, shape, type);
            x.setRequiresGradient(true);
            NDArray r = GadTestSupport.array(m, ref, shape, type);
            double[] values;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray k3 = PolicyLoss.k3(x, r);
                values = GadTestSupport.host(k3);
                gc.backward(k3.sum());
            }
            assertClose(values, flat(k.get("k3")), type, "k3");
            assertClose(GadTestSupport.host(x.getGradient()), flat(k.get("grad")), type, "d k3 / d logp");
            assertThat(values[values.length - 1]).isEqualTo(10.0); // d = −25: clamped twice
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        Batch b = Batch.fixture();
        Shape bt = b.shape();
        Shape adv = new Shape(bt.get(0));
        for (PolicyLoss pl : new PolicyLoss[] {new PolicyLoss(0.2, 0.1), new PolicyLoss(0.3, 0)}) {
            Function<NDList, NDArray> f = xs -> pl.terms(xs.get(0), xs.get(1), xs.get(2), xs.get(3), xs.get(4)).loss();
            double[][] inputs = {b.logp(), b.old(), b.ref(), b.advantages(), b.mask()};
            Shape[] shapes = {bt, bt, bt, adv, bt};
            double[] autograd = GadTestSupport.withGradient(base, DataType.FLOAT64, f, 1, inputs, shapes).gradients()[0];
            double[] fd = GadTestSupport.finiteDifferences(base, f, 0, 1e-6, inputs, shapes);
            for (int k = 0; k < fd.length; k++) {
                assertThat(autograd[k]).as("%s token %d", pl, k).isCloseTo(fd[k], offset(1e-7));
            }
        }
    }

    @Test
    void ratioOneGivesMinusTheTokenMeanAdvantage() {
        double[] logp = {-0.3, -1.2, -2.0, -0.7, -0.1, -4.0, -1.1, -0.9};
        double[] mask = {1, 1, 1, 1, 1, 1, 0, 0};
        double[] adv = {0.5, -2.0};
        try (NDManager m = base.newSubManager()) {
            Shape shape = new Shape(2, 4);
            NDArray x = GadTestSupport.array(m, logp, shape, DataType.FLOAT32);
            x.setRequiresGradient(true);
            NDArray a = GadTestSupport.array(m, adv, new Shape(2), DataType.FLOAT32);
            NDArray mk = GadTestSupport.array(m, mask, shape, DataType.FLOAT32);
            PolicyLoss.Terms t;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // the first update of a rollout: the old log-probs are the current ones (the same array, detached inside)
                t = new PolicyLoss(0.2, 0).terms(x, x, null, a, mk);
                gc.backward(t.loss());
            }
            double expected = -(0.5 * 4 + -2.0 * 2) / 6; // Σ_b A_b·n_b / n
            assertThat(t.loss().getFloat()).isCloseTo((float) expected, offset(1e-6f));
            assertThat(t.policyLoss()).isCloseTo(expected, offset(1e-6));
            assertThat(t.clipFraction()).isZero();
            assertThat(t.kl()).isNaN();
            // d/dlogp of −A·ratio at ratio 1 is −A, over the 6 valid tokens; 0 at padding
            assertThat(x.getGradient().toFloatArray())
                    .containsExactly(new float[] {-0.5f / 6, -0.5f / 6, -0.5f / 6, -0.5f / 6, 2f / 6, 2f / 6, 0, 0}, offset(1e-7f));
        }
    }

    @Test
    void referenceEqualToPolicyAddsNothing() {
        Batch b = Batch.fixture();
        Batch sameRef = new Batch(b.logp(), b.old(), b.logp().clone(), b.advantages(), b.mask(), b.shape());
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            Run with = run(new PolicyLoss(0.2, 0.1), sameRef, type);
            Run without = run(new PolicyLoss(0.2, 0), b.withoutRef(), type);
            assertThat(with.kl()).isZero();
            assertThat(with.loss()).isEqualTo(without.loss());
            assertThat(with.gradient()).containsExactly(without.gradient());
        }
    }

    @Test
    void clippedBranchIsActiveOnlyWhereTheAdvantageRewardsTheMove() {
        // one token per response: A > 0 with ratio 1.5 (clipped) and 0.5 (not), A < 0 with 0.5 (clipped) and 1.5 (not)
        double[] adv = {1, 1, -1, -1};
        double[] logRatio = {Math.log(1.5), Math.log(0.5), Math.log(0.5), Math.log(1.5)};
        double[] old = {-1, -1, -1, -1};
        double[] logp = new double[4];
        for (int i = 0; i < 4; i++) {
            logp[i] = old[i] + logRatio[i];
        }
        Run r = run(new PolicyLoss(0.2, 0), new Batch(logp, old, null, adv, new double[] {1, 1, 1, 1}, new Shape(4, 1)),
                DataType.FLOAT64);
        assertThat(r.clipFraction()).isEqualTo(0.5);
        // pg = −1.2, −0.5, 0.8, 1.5: the clipped tokens sit at the clip bound and pass no gradient
        assertThat(r.policyLoss()).isCloseTo((-1.2 - 0.5 + 0.8 + 1.5) / 4, offset(1e-12));
        assertThat(r.gradient()).containsExactly(new double[] {0, -0.5 / 4, 0, 1.5 / 4}, offset(1e-12));
    }

    @Test
    void garbageAtPaddingChangesNothing() {
        Batch clean = Batch.fixture();
        double[] logp = clean.logp().clone();
        double[] old = clean.old().clone();
        double[] ref = clean.ref().clone();
        for (int i = 0; i < logp.length; i++) {
            if (clean.mask()[i] == 0) {
                logp[i] = Double.NaN;
                old[i] = Double.NEGATIVE_INFINITY;
                ref[i] = Double.POSITIVE_INFINITY;
            }
        }
        Batch dirty = new Batch(logp, old, ref, clean.advantages(), clean.mask(), clean.shape());
        Run a = run(new PolicyLoss(0.2, 0.1), clean, DataType.FLOAT32);
        Run b = run(new PolicyLoss(0.2, 0.1), dirty, DataType.FLOAT32);
        assertThat(b.loss()).isEqualTo(a.loss());
        assertThat(b.kl()).isEqualTo(a.kl());
        assertThat(b.clipFraction()).isEqualTo(a.clipFraction());
        assertThat(b.gradient()).containsExactly(a.gradient());
        for (int i = 0; i < logp.length; i++) {
            if (clean.mask()[i] == 0) {
                assertThat(b.gradient()[i]).isZero();
            }
        }
    }

    @Test
    void noValidTokenGivesZeroNotNaN() {
        Batch b = Batch.fixture();
        double[] none = new double[b.mask().length];
        double[] nan = new double[none.length];
        Arrays.fill(nan, Double.NaN);
        Run r = run(PolicyLoss.gad(), new Batch(nan, nan, nan, b.advantages(), none, b.shape()), DataType.FLOAT32);
        assertThat(r.loss()).isZero();
        assertThat(r.policyLoss()).isZero();
        assertThat(r.kl()).isZero();
        assertThat(r.clipFraction()).isZero();
        assertThat(r.gradient()).containsOnly(0.0);
    }

    @Test
    void hugeLogRatiosStayFinite() {
        // a valid token whose log-ratio (±30) and reference gap (±40) exceed every clamp
        double[] logp = {0, -40, -1};
        double[] old = {-30, 0, -1};
        double[] ref = {-40, 0, -1};
        Run r = run(new PolicyLoss(0.2, 0.1), new Batch(logp, old, ref, new double[] {-1}, new double[] {1, 1, 1}, new Shape(1, 3)),
                DataType.FLOAT32);
        assertThat(GadTestSupport.allFinite(r.loss(), r.policyLoss(), r.kl())).isTrue();
        assertThat(GadTestSupport.allFinite(r.gradient())).isTrue();
        assertThat(r.kl()).isCloseTo(20.0 / 3, offset(1e-6)); // two tokens at the k3 clamp of 10, one at 0
    }

    @Test
    void validatesItsInputs() {
        assertThat(PolicyLoss.gad()).isEqualTo(new PolicyLoss(0.2, 0.001));
        assertThatThrownBy(() -> new PolicyLoss(0, 0.001)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PolicyLoss(1, 0.001)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PolicyLoss(0.2, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PolicyLoss(0.2, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        try (NDManager m = base.newSubManager()) {
            NDArray x = m.zeros(new Shape(2, 3));
            NDArray a = m.zeros(new Shape(2));
            assertThatThrownBy(() -> PolicyLoss.gad().terms(x, x, null, a, x)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("reference");
            assertThatThrownBy(() -> PolicyLoss.gad().terms(x, x, x, m.zeros(new Shape(3)), x))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("advantages");
            assertThatThrownBy(() -> PolicyLoss.gad().terms(x, x, x, a, m.zeros(new Shape(2, 4))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mask");
            assertThatThrownBy(() -> PolicyLoss.gad().terms(m.zeros(new Shape(6)), x, x, a, x))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void leavesNoArraysBehindButTheLoss() {
        try (NDManager m = base.newSubManager()) {
            NDArray x = m.create(new float[] {-1, -2, -0.5f, -3}, new Shape(2, 2));
            NDArray old = m.create(new float[] {-1.2f, -1.9f, -0.5f, -2}, new Shape(2, 2));
            NDArray a = m.create(new float[] {1, -1});
            NDArray mask = m.create(new float[] {1, 1, 1, 0}, new Shape(2, 2));
            int before = m.getManagedArrays().size();
            PolicyLoss.Terms t = PolicyLoss.gad().terms(x, old, x, a, mask);
            assertThat(m.getManagedArrays()).hasSize(before + 1).contains(t.loss());
        }
    }
}
