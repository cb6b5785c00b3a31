package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.Safetensors;
import org.distill4j.util.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replays tools/fixtures/loss_fixtures.py: every divergence at τ = 1, ½ and 2 on logits [2, 5, 11] with −∞
 * entries, garbage padding rows and a mask, against an independent float64 torch implementation
 * (per-position values, the three reductions and the gradient), TRL's generalized JSD formula, and a
 * k = 4 top-k teacher with its tail.
 */
class TorchFixtureTest {
    private static final double TOLERANCE = 1e-5;
    private static NDManager base;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        base.close();
    }

    private record Inputs(float[] student, float[] teacher, float[] mask, Shape shape) {
        static Inputs read(Safetensors.Reader fx) {
            return new Inputs(fx.readFloats("student_logits"), fx.readFloats("teacher_logits"), fx.readFloats("mask"),
                    new Shape(fx.info("student_logits").shape()));
        }

        Shape bt() {
            return new Shape(shape.get(0), shape.get(1));
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        return Fixtures.maxAbsDiff(a, b);
    }

    @Test
    void everyDivergenceReductionAndGradientMatchesTorch() throws Exception {
        double worstValue = 0;
        double worstGradient = 0;
        try (Safetensors.Reader fx = Safetensors.open(Fixtures.path("loss/divergences.safetensors"))) {
            Inputs in = Inputs.read(fx);
            JsonNode cases = Json.MAPPER.readTree(fx.metadata().get("cases"));
            assertThat(cases.size()).isEqualTo(30);
            for (JsonNode c : cases) {
                String name = c.get("name").asText();
                Divergence d = Divergence.parse(c.get("divergence").asText(), c.get("beta").asDouble(), c.get("alpha").asDouble());
                DistillationLoss loss = new DistillationLoss(d, c.get("temperature").asDouble());
                try (NDManager m = base.newSubManager()) {
                    NDArray s = m.create(in.student(), in.shape());
                    NDArray t = m.create(in.teacher(), in.shape());
                    NDArray mask = m.create(in.mask(), in.bt());
                    NDArray perToken = loss.perToken(s, t, mask);
                    double diff = maxAbsDiff(perToken.toFloatArray(), fx.readFloats(name + ".per_token"));
                    assertThat(diff).as("%s per token", name).isLessThan(TOLERANCE);
                    worstValue = Math.max(worstValue, diff);
                    for (Reduction r : Reduction.values()) {
                        float expected = fx.readFloats(name + "." + fixtureName(r))[0];
                        double rd = Math.abs(r.reduce(perToken, mask).getFloat() - expected);
                        assertThat(rd).as("%s %s", name, r).isLessThan(TOLERANCE);
                        worstValue = Math.max(worstValue, rd);
                    }
                }
                LossTestSupport.Evaluated e = LossTestSupport.evaluate(base, in.student(), in.teacher(), in.mask(), in.shape(),
                        x -> loss.loss(x.student(), x.teacher(), x.mask(), Reduction.TOKEN_MEAN));
                double gd = maxAbsDiff(e.gradient(), fx.readFloats(name + ".grad"));
                assertThat(gd).as("%s gradient", name).isLessThan(TOLERANCE);
                worstGradient = Math.max(worstGradient, gd);
            }
        }
        System.out.printf(Locale.ROOT, "torch fixture, dense: max |Δ| value %.2e, gradient %.2e%n", worstValue, worstGradient);
    }

    private static String fixtureName(Reduction r) {
        return switch (r) {
            case TOKEN_MEAN -> "token_mean";
            case SEQUENCE_MEAN -> "sequence_mean";
            case SUM -> "sum";
        };
    }

    @Test
    void generalizedJsdMatchesTrlsFormulaIncludingItsEnds() throws Exception {
        double worst = 0;
        try (Safetensors.Reader fx = Safetensors.open(Fixtures.path("loss/divergences.safetensors"))) {
            Inputs in = Inputs.read(fx);
            JsonNode cases = Json.MAPPER.readTree(fx.metadata().get("cases"));
            int checked = 0;
            for (JsonNode c : cases) {
                if (!c.get("divergence").asText().equals("jsd")) {
                    continue;
                }
                String name = c.get("name").asText();
                DistillationLoss loss = new DistillationLoss(new Jsd(c.get("beta").asDouble()), c.get("temperature").asDouble());
                try (NDManager m = base.newSubManager()) {
                    float ours = loss.loss(m.create(in.student(), in.shape()), m.create(in.teacher(), in.shape()),
                            m.create(in.mask(), in.bt()), Reduction.TOKEN_MEAN).getFloat();
                    double diff = Math.abs(ours - fx.readFloats("trl." + name + ".token_mean")[0]);
                    assertThat(diff).as("TRL %s", name).isLessThan(TOLERANCE);
                    worst = Math.max(worst, diff);
                    checked++;
                }
            }
            assertThat(checked).isEqualTo(15); // β ∈ {0.5, 0.1, 0.9, 0, 1} × τ ∈ {1, ½, 2}
        }
        System.out.printf(Locale.ROOT, "torch fixture, TRL generalized JSD: max |Δ| %.2e%n", worst);
    }

    @Test
    void topKTeacherConstructionLossAndGradientMatchTorch() throws Exception {
        double worstTeacher = 0;
        double worstValue = 0;
        double worstGradient = 0;
        Inputs in;
        try (Safetensors.Reader fx = Safetensors.open(Fixtures.path("loss/divergences.safetensors"))) {
            in = Inputs.read(fx);
        }
        try (Safetensors.Reader fx = Safetensors.open(Fixtures.path("loss/sparse.safetensors"))) {
            int k = Integer.parseInt(fx.metadata().get("k"));
            int positions = in.mask().length;
            int vocab = (int) in.shape().get(2);
            for (JsonNode tau : Json.MAPPER.readTree(fx.metadata().get("temperatures"))) {
                double temperature = tau.asDouble();
                String pre = "t" + tau.asText();
                long[] ids = fx.readLongs(pre + ".indices");
                int[] narrow = new int[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    narrow[i] = (int) ids[i];
                }
                float[] topLogProbs = fx.readFloats(pre + ".log_probs");
                float[] tail = fx.readFloats(pre + ".tail_log_prob");
                SparseTeacher fromTorch = new SparseTeacher((int) in.shape().get(0), (int) in.shape().get(1), k, vocab, temperature,
                        narrow, topLogProbs, tail);

                // our own construction from the teacher logits, compared at valid positions (ids only where the
                // log-prob is finite: −∞ entries tie, and either choice gives the same coarsening)
                SparseTeacher ours;
                try (NDManager m = base.newSubManager()) {
                    ours = SparseTeacher.fromLogits(m.create(in.teacher(), in.shape()), k, temperature);
                }
                for (int pos = 0; pos < positions; pos++) {
                    if (in.mask()[pos] == 0) {
                        continue;
                    }
                    worstTeacher = Math.max(worstTeacher, closeness(ours.tailLogProbs()[pos], tail[pos]));
                    for (int j = pos * k; j < (pos + 1) * k; j++) {
                        worstTeacher = Math.max(worstTeacher, closeness(ours.logProbs()[j], topLogProbs[j]));
                        if (Float.isFinite(topLogProbs[j])) {
                            assertThat(ours.indices()[j]).as("%s id %d", pre, j).isEqualTo(narrow[j]);
                        }
                    }
                }
                assertThat(worstTeacher).as("%s top-k log-probs and tail", pre).isLessThan(TOLERANCE);

                for (JsonNode c : Json.MAPPER.readTree(fx.metadata().get("divergences"))) {
                    String div = c.get("divergence").asText();
                    Divergence d = Divergence.parse(div, c.get("beta").asDouble(), c.get("alpha").asDouble());
                    DistillationLoss loss = new DistillationLoss(d, temperature);
                    try (NDManager m = base.newSubManager()) {
                        float[] perToken = loss.perToken(m.create(in.student(), in.shape()), fromTorch.toTensors(m),
                                m.create(in.mask(), in.bt())).toFloatArray();
                        double diff = maxAbsDiff(perToken, fx.readFloats(pre + "." + div + ".per_token"));
                        assertThat(diff).as("%s %s per token", pre, div).isLessThan(TOLERANCE);
                        worstValue = Math.max(worstValue, diff);
                    }
                    LossTestSupport.Evaluated e = LossTestSupport.evaluate(base, in.student(), in.teacher(), in.mask(), in.shape(),
                            x -> loss.loss(x.student(), fromTorch.toTensors(x.student().getManager()), x.mask(), Reduction.TOKEN_MEAN));
                    double vd = Math.abs(e.value() - fx.readFloats(pre + "." + div + ".token_mean")[0]);
                    double gd = maxAbsDiff(e.gradient(), fx.readFloats(pre + "." + div + ".grad"));
                    assertThat(vd).as("%s %s token mean", pre, div).isLessThan(TOLERANCE);
                    assertThat(gd).as("%s %s gradient", pre, div).isLessThan(TOLERANCE);
                    worstValue = Math.max(worstValue, vd);
                    worstGradient = Math.max(worstGradient, gd);
                }
            }
        }
        System.out.printf(Locale.ROOT, "torch fixture, top-k: max |Δ| teacher %.2e, value %.2e, gradient %.2e%n",
                worstTeacher, worstValue, worstGradient);
    }

    /** |a − b|, with two equal infinities at distance 0. */
    private static double closeness(float a, float b) {
        return a == b ? 0 : Math.abs(a - b);
    }
}
