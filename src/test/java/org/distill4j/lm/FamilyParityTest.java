package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every family against transformers on a tiny random model (fixtures from tools/fixtures/family_fixtures.py): logits of a
 * full pass, greedy tokens through the sampler (batched, left-padded, KV-cached, fused weights), one training
 * step's gradients, and the checkpoint we save (reloaded here; loaded by transformers in tools/fixtures/check_hf_load.py,
 * which reads what {@link #savedCheckpointReloadsToTheSameLogits} leaves in target/hf-export/).
 */
class FamilyParityTest {
    /** One case per family, the llama ones once per rope scaling type (tools/fixtures/family_fixtures.py's CASES). */
    private static final String[] CASES = {"llama", "llama_llama3", "llama_linear", "llama_dynamic", "llama_yarn", "qwen2",
            "mistral", "qwen3", "gemma2", "gemma3_text", "phi3", "gpt2"};

    /** A case's model as loaded from the fixture, and transformers' reference outputs. */
    private record Case(NDManager m, Transformer model, Safetensors.Reader ref) implements AutoCloseable {
        static Case load(String name) {
            Path dir = Fixtures.path("families/" + name);
            NDManager m = NDManager.newBaseManager();
            return new Case(m, Checkpoint.loadTransformer(dir, m), Safetensors.open(dir.resolve("reference.safetensors")));
        }

        NDArray inputIds() {
            return m.create(ref.readLongs("input_ids"), new Shape(ref.info("input_ids").shape()));
        }

        @Override
        public void close() {
            ref.close();
            m.close();
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void logitsMatchTransformers(String name) {
        try (Case c = Case.load(name)) {
            Transformer model = c.model();
            Safetensors.Reader ref = c.ref();
            float[] logits = model.forward(c.inputIds(), null, null, null).toFloatArray();
            double diff = Fixtures.maxAbsDiff(logits, ref.readFloats("logits"));
            System.out.printf("parity %s: max |logits - transformers| = %.2e%n", name, diff);
            assertThat(diff).isLessThan(1e-4);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void greedyTokensMatchTransformers(String name) {
        try (Case c = Case.load(name)) {
            Transformer model = c.model();
            Safetensors.Reader ref = c.ref();
            List<long[]> prompts = List.of(ref.readLongs("prompt0"), ref.readLongs("prompt1"));
            int n = (int) ref.info("greedy0").shape()[1];
            // both prompts in one batch: the shorter is left-padded, and both decode through the KV cache
            List<Sample> samples = new Sampler(model, null, 8).generate(prompts, SamplingParams.of(0, n, 0, Set.of()));
            assertThat(samples.get(0).tokens()).as("prompt 0").containsExactly(ref.readLongs("greedy0"));
            assertThat(samples.get(1).tokens()).as("prompt 1").containsExactly(ref.readLongs("greedy1"));
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gradientsOfOneTrainingStepMatchPyTorch(String name) {
        try (Case c = Case.load(name)) {
            Transformer model = c.model();
            Safetensors.Reader ref = c.ref();
            model.setTrainable(true);
            float loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray ids = c.inputIds();
                NDArray logits = model.forward(ids, null, null, null);
                NDArray logProbs = logits.get(":, :-1, :").logSoftmax(-1);
                NDArray nll = logProbs.gather(ids.get(":, 1:").expandDims(-1), 2).neg().mean();
                loss = nll.getFloat();
                gc.backward(nll);
            }
            assertThat((double) loss).isCloseTo(ref.readFloats("loss")[0], org.assertj.core.api.Assertions.within(1e-4));
            Set<String> expected = new TreeSet<>();
            ref.tensors().keySet().stream().filter(k -> k.startsWith("grad.")).forEach(k -> expected.add(k.substring(5)));
            assertThat(new TreeSet<>(model.parameters().keySet())).isEqualTo(expected);
            double worst = 0;
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                float[] want = ref.readFloats("grad." + e.getKey());
                float[] got = e.getValue().getGradient().toFloatArray();
                double scale = 0;
                for (float v : want) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertThat(scale).as("gradient of %s is not all zero", e.getKey()).isGreaterThan(0);
                worst = Math.max(worst, Fixtures.maxAbsDiff(got, want) / scale);
            }
            System.out.printf("parity %s: gradients within %.2e of each tensor's largest entry%n", name, worst);
            assertThat(worst).isLessThan(1e-4);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void savedCheckpointReloadsToTheSameLogits(String name) {
        Path export = Path.of("target", "hf-export", name);
        try (Case c = Case.load(name)) {
            Transformer model = c.model();
            Safetensors.Reader ref = c.ref();
            Checkpoint.save(export, model, Safetensors.DType.F32, Map.of());
            assertThat(ModelConfig.read(export.resolve(Checkpoint.CONFIG))).isEqualTo(model.config());
            NDArray ids = c.inputIds();
            float[] logits = model.forward(ids, null, null, null).toFloatArray();
            try (Transformer back = Checkpoint.loadTransformer(export, c.m())) {
                assertThat(back.forward(ids, null, null, null).toFloatArray()).containsExactly(logits);
            }
            new Safetensors.Writer().addLongs("input_ids", ref.readLongs("input_ids"), ref.info("input_ids").shape())
                    .add("logits", logits, new long[] {ids.getShape().get(0), ids.getShape().get(1), model.config().vocabSize()},
                            Safetensors.DType.F32)
                    .write(export.resolve("java_logits.safetensors"));
        }
    }

    static String[] cases() {
        return CASES.clone();
    }
}
