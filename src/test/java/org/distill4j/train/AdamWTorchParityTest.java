package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.distill4j.train.TrainTestSupport.maxRelativeError;
import static org.distill4j.train.TrainTestSupport.row;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.type.TypeReference;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.lm.Safetensors;
import org.distill4j.util.Json;
import org.junit.jupiter.api.Test;

/**
 * Replays tools/fixtures/optim_fixtures.py: the same gradients go through clipByGlobalNorm and AdamW with the same
 * per-step learning rates, and every step's parameters, the pre-clip norms and the final moments must agree
 * with torch.optim.AdamW + clip_grad_norm_.
 */
class AdamWTorchParityTest {
    /** Per-element relative tolerance; the floor keeps a value near 0 from turning rounding noise into a huge ratio. */
    private static final double TOLERANCE = 1e-6;
    private static final double FLOOR = 1e-6;

    private static Path fixture() throws URISyntaxException {
        return Path.of(AdamWTorchParityTest.class.getResource("/fixtures/optim/adamw.safetensors").toURI());
    }

    @Test
    void reproducesTorchAdamWWithClippingAndSchedule() throws Exception {
        try (Safetensors.Reader fx = Safetensors.open(fixture()); NDManager manager = NDManager.newBaseManager()) {
            Map<String, String> meta = fx.metadata();
            List<String> names = Json.MAPPER.readValue(meta.get("names"), new TypeReference<List<String>>() {});
            int steps = Integer.parseInt(meta.get("steps"));
            double maxNorm = Double.parseDouble(meta.get("max_norm"));

            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, float[]> initial = new LinkedHashMap<>();
            Map<String, float[]> history = new LinkedHashMap<>();
            Map<String, float[]> gradHistory = new LinkedHashMap<>();
            for (String name : names) {
                long[] stacked = fx.info("params." + name).shape();
                long[] shape = java.util.Arrays.copyOfRange(stacked, 1, stacked.length);
                shapes.put(name, shape);
                history.put(name, fx.readFloats("params." + name));
                gradHistory.put(name, fx.readFloats("grads." + name));
                initial.put(name, row(history.get(name), 0, size(shape)));
            }
            long[] lrBits = fx.readLongs("lr_bits");
            float[] torchNorms = fx.readFloats("total_norms");
            long[] torchClipped = fx.readLongs("clipped");

            LrSchedule schedule = new LrSchedule.WarmupCosine(Double.parseDouble(meta.get("start_lr")),
                    Double.parseDouble(meta.get("peak_lr")), Double.parseDouble(meta.get("final_lr")),
                    Long.parseLong(meta.get("warmup_steps")), Long.parseLong(meta.get("total_steps")));
            AdamWConfig config = new AdamWConfig(Double.parseDouble(meta.get("beta1")), Double.parseDouble(meta.get("beta2")),
                    Double.parseDouble(meta.get("eps")), Double.parseDouble(meta.get("weight_decay")), WeightDecayPolicy.DEFAULT);

            Map<String, NDArray> params = TrainTestSupport.parameters(manager, shapes, initial);
            double worstParam = 0;
            double worstNorm = 0;
            try (AdamW adamw = new AdamW(params, config)) {
                for (int step = 0; step < steps; step++) {
                    Map<String, float[]> grads = new LinkedHashMap<>();
                    for (String name : names) {
                        grads.put(name, row(gradHistory.get(name), step, size(shapes.get(name))));
                    }
                    TrainTestSupport.setGradients(params, grads);

                    float norm = GradientClipping.clipByGlobalNorm(params, maxNorm);
                    double normError = Math.abs(norm - torchNorms[step]) / torchNorms[step];
                    worstNorm = Math.max(worstNorm, normError);
                    assertThat(normError).as("total norm at step %d", step).isLessThan(TOLERANCE);
                    assertThat(norm > maxNorm).as("clipped at step %d", step).isEqualTo(torchClipped[step] == 1);

                    double lr = Double.longBitsToDouble(lrBits[step]);
                    assertThat(schedule.lr(step)).as("lr at step %d", step)
                            .isCloseTo(lr, org.assertj.core.data.Percentage.withPercentage(1e-10));
                    adamw.step(lr);

                    for (String name : names) {
                        float[] expected = row(history.get(name), step + 1, size(shapes.get(name)));
                        double err = maxRelativeError(params.get(name).toFloatArray(), expected, FLOOR);
                        worstParam = Math.max(worstParam, err);
                        assertThat(err).as("%s after step %d", name, step).isLessThan(TOLERANCE);
                    }
                }
                double worstMoment = 0;
                for (String name : names) {
                    worstMoment = Math.max(worstMoment, normwiseError(adamw.expAvg(name), fx.readFloats("exp_avg." + name)));
                    worstMoment = Math.max(worstMoment, normwiseError(adamw.expAvgSq(name), fx.readFloats("exp_avg_sq." + name)));
                }
                assertThat(worstMoment).as("moments after the last step").isLessThan(TOLERANCE);
                assertThat(adamw.steps()).isEqualTo(steps);
                System.out.printf("AdamW vs torch: max rel error params %.3g, total norms %.3g, moments %.3g%n",
                        worstParam, worstNorm, worstMoment);
            }
        }
    }

    /**
     * max |a − e| / max |e| over a tensor. The moments are running sums of gradients of both signs: where
     * they cancel to near 0, the last-bit differences of torch's fused multiply-adds are large per element
     * but tiny against the tensor's scale, which is what matters for the update.
     */
    private static double normwiseError(NDArray actual, float[] expected) {
        float[] a = actual.toFloatArray();
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs((double) a[i] - expected[i]));
        }
        return worst / scale;
    }

    private static int size(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return Math.toIntExact(n);
    }
}
