package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LoRA against Hugging Face PEFT (fixtures from tools/fixtures/lora_fixtures.py: PEFT adapters with random non-zero A
 * and B on the tiny family models): logits of the adapted model, of the fused inference view and of the merged model,
 * the adapters' gradients with the base frozen, and the adapter and merged checkpoint we write (left in
 * target/lora-export/ for tools/fixtures/check_peft_load.py, which loads them in PEFT and transformers).
 */
class LoraParityTest {
    /** tools/fixtures/lora_fixtures.py's CASES: case → the family fixture it adapts. */
    private static final Map<String, String> CASES = Map.of("llama", "llama", "qwen2_rslora", "qwen2", "phi3", "phi3", "gpt2", "gpt2");

    private record Case(NDManager m, Transformer model, Safetensors.Reader ref, Path base, Path adapter) implements AutoCloseable {
        static Case load(String name) {
            Path base = Fixtures.path("families/" + CASES.get(name));
            Path adapter = Fixtures.path("lora/" + name);
            NDManager m = NDManager.newBaseManager();
            Transformer t = Checkpoint.loadTransformer(base, m);
            Checkpoint.attachAdapter(adapter, t);
            return new Case(m, t, Safetensors.open(adapter.resolve("reference.safetensors")), base, adapter);
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

    static List<String> cases() {
        return List.copyOf(new TreeSet<>(CASES.keySet()));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void logitsMatchPeft(String name) {
        try (Case c = Case.load(name)) {
            NDArray ids = c.inputIds();
            double diff = Fixtures.maxAbsDiff(c.model().forward(ids, null, null, null).toFloatArray(), c.ref().readFloats("logits"));
            try (Transformer.Fusion fused = c.model().fuseForInference()) {
                double fusedDiff = Fixtures.maxAbsDiff(fused.logits(fused.hidden(ids, null, null, null)).toFloatArray(),
                        c.ref().readFloats("logits"));
                System.out.printf("lora parity %s: max |logits - PEFT| = %.2e, fused view %.2e%n", name, diff, fusedDiff);
                assertThat(fusedDiff).isLessThan(1e-4);
            }
            assertThat(diff).isLessThan(1e-4);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void mergedModelMatchesPeftMergeAndUnload(String name) throws IOException {
        Path export = Path.of("target", "lora-export", name);
        try (Case c = Case.load(name); NDManager mm = c.m().newSubManager()) {
            NDArray ids = c.inputIds();
            Transformer merged = c.model().merged(mm);
            assertThat(merged.lora()).isNull();
            float[] logits = merged.forward(ids, null, null, null).toFloatArray();
            double diff = Fixtures.maxAbsDiff(logits, c.ref().readFloats("merged_logits"));
            System.out.printf("lora merge %s: max |merged logits - PEFT merge_and_unload| = %.2e%n", name, diff);
            assertThat(diff).isLessThan(1e-4);
            // the base is untouched by the merge: the adapted model still gives PEFT's logits
            assertThat(Fixtures.maxAbsDiff(c.model().forward(ids, null, null, null).toFloatArray(), c.ref().readFloats("logits")))
                    .isLessThan(1e-4);
            // what the check script loads: the adapter as we write it, and the merged checkpoint
            Files.createDirectories(export);
            Checkpoint.save(export.resolve("merged"), merged, Safetensors.DType.F32, Map.of());
            Checkpoint.saveWith(export.resolve("adapter"), tmp -> Checkpoint.writeTrained(tmp, c.model(), Map.of()));
            Files.writeString(export.resolve("base"), c.base().toAbsolutePath().toString());
            new Safetensors.Writer().addLongs("input_ids", c.ref().readLongs("input_ids"), c.ref().info("input_ids").shape())
                    .add("logits", c.model().forward(ids, null, null, null).toFloatArray(),
                            new long[] {ids.getShape().get(0), ids.getShape().get(1), c.model().config().vocabSize()}, Safetensors.DType.F32)
                    .add("merged_logits", logits, new long[] {ids.getShape().get(0), ids.getShape().get(1), c.model().config().vocabSize()},
                            Safetensors.DType.F32)
                    .write(export.resolve("java_logits.safetensors"));
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void adapterGradientsMatchPeftWithTheBaseFrozen(String name) {
        try (Case c = Case.load(name)) {
            Transformer model = c.model();
            model.setTrainable(true);
            float loss;
            try (NDManager m = c.m().newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray ids = m.create(c.ref().readLongs("input_ids"), new Shape(c.ref().info("input_ids").shape()));
                NDArray logProbs = model.forward(ids, null, null, null).get(":, :-1, :").logSoftmax(-1);
                NDArray nll = logProbs.gather(ids.get(":, 1:").expandDims(-1), 2).neg().mean();
                loss = nll.getFloat();
                gc.backward(nll);
            }
            assertThat((double) loss).isCloseTo(c.ref().readFloats("loss")[0], org.assertj.core.api.Assertions.within(1e-4));
            Set<String> expected = new TreeSet<>();
            c.ref().tensors().keySet().stream().filter(k -> k.startsWith("grad.")).forEach(k -> expected.add(k.substring(5)));
            assertThat(new TreeSet<>(model.trainableParameters().keySet())).isEqualTo(expected);
            double worst = 0;
            for (Map.Entry<String, NDArray> e : model.trainableParameters().entrySet()) {
                float[] want = c.ref().readFloats("grad." + e.getKey());
                double scale = 0;
                for (float v : want) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertThat(scale).as("gradient of %s is not all zero", e.getKey()).isGreaterThan(0);
                worst = Math.max(worst, Fixtures.maxAbsDiff(e.getValue().getGradient().toFloatArray(), want) / scale);
            }
            System.out.printf("lora parity %s: adapter gradients within %.2e of each tensor's largest entry%n", name, worst);
            assertThat(worst).isLessThan(1e-4);
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                assertThat(e.getValue().hasGradient()).as("frozen base parameter %s", e.getKey()).isFalse();
            }
            model.setTrainable(false);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void writtenAdapterReadsBackToTheSameLogits(String name, @TempDir Path tmp) throws IOException {
        try (Case c = Case.load(name)) {
            NDArray ids = c.inputIds();
            float[] logits = c.model().forward(ids, null, null, null).toFloatArray();
            Checkpoint.writeTrained(tmp, c.model(), Map.of());
            try (NDManager m = NDManager.newBaseManager()) {
                Transformer back = Checkpoint.loadTransformer(c.base(), m);
                Checkpoint.attachAdapter(tmp, back);
                assertThat(back.lora().config()).isEqualTo(c.model().lora().config());
                assertThat(back.forward(ids, null, null, null).toFloatArray()).containsExactly(logits);
            }
        }
    }

    @Test
    void freshAdaptersStartAtTheBaseWithPeftsInitialisation() {
        Path base = Fixtures.path("families/phi3");
        try (NDManager m = NDManager.newBaseManager()) {
            Transformer t = Checkpoint.loadTransformer(base, m);
            NDArray ids = m.create(new long[] {5, 9, 11, 3, 40, 7}, new Shape(1, 6));
            float[] before = t.forward(ids, null, null, null).toFloatArray();
            LoraConfig cfg = new LoraConfig(8, 16, 0, List.of(LoraConfig.ALL_LINEAR), false);
            t.attach(Lora.init(t.config(), cfg, base.toString(), m, 3));
            assertThat(t.lora().modules()).containsExactly("model.layers.0.self_attn.qkv_proj", "model.layers.0.self_attn.o_proj",
                    "model.layers.0.mlp.gate_up_proj", "model.layers.0.mlp.down_proj", "model.layers.1.self_attn.qkv_proj",
                    "model.layers.1.self_attn.o_proj", "model.layers.1.mlp.gate_up_proj", "model.layers.1.mlp.down_proj");
            // B = 0: the adapted model is the base exactly (x + 0 = x in floating point too)
            assertThat(t.forward(ids, null, null, null).toFloatArray()).containsExactly(before);
            // A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming-uniform with a = sqrt(5)): bounded, and its spread that of the uniform
            float[] a = t.lora().tensors().get("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight").toFloatArray();
            double bound = 1 / Math.sqrt(t.config().intermediateSize());
            double sq = 0;
            for (float v : a) {
                assertThat(Math.abs(v)).isLessThanOrEqualTo((float) bound);
                sq += v * v;
            }
            assertThat(Math.sqrt(sq / a.length)).isCloseTo(bound / Math.sqrt(3), org.assertj.core.api.Assertions.within(0.15 * bound));
            assertThat(t.lora().tensors().get("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight").toFloatArray())
                    .containsOnly(0f);
            // deterministic with the seed; another seed draws other values
            assertThat(Lora.init(t.config(), cfg, "", m, 3).tensors().values().iterator().next().toFloatArray())
                    .containsExactly(t.lora().tensors().values().iterator().next().toFloatArray());
            assertThat(Lora.init(t.config(), cfg, "", m, 4).tensors().values().iterator().next().toFloatArray())
                    .isNotEqualTo(t.lora().tensors().values().iterator().next().toFloatArray());
        }
    }

    @Test
    void scaleIsAlphaOverRankOrOverItsRootWithRsLora() {
        assertThat(new LoraConfig(16, 32, 0, List.of("q_proj"), false).scale()).isEqualTo(2.0);
        assertThat(new LoraConfig(16, 32, 0, List.of("q_proj"), true).scale()).isEqualTo(8.0);
    }

    @Test
    void targetsMatchPeftsSuffixRuleAndNamesTheModulesWhenNoneMatch() {
        LoraConfig cfg = new LoraConfig(4, 8, 0, List.of("c_proj"), false);
        assertThat(cfg.matches("transformer.h.0.attn.c_proj")).isTrue();
        assertThat(cfg.matches("transformer.h.0.mlp.c_proj")).isTrue();
        assertThat(cfg.matches("transformer.h.0.attn.c_attn")).isFalse();
        assertThat(new LoraConfig(4, 8, 0, List.of("attn.c_proj"), false).matches("transformer.h.0.mlp.c_proj")).isFalse();
        ModelConfig llama = Checkpoint.readConfig(Fixtures.path("families/llama"));
        try (NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> Lora.init(llama, new LoraConfig(4, 8, 0, List.of("c_attn"), false), "", m, 0))
                    .isInstanceOf(UserError.class).hasMessageContaining("c_attn").hasMessageContaining("q_proj");
        }
    }

    @Test
    void anAdapterPeftCannotDescribeHereIsRefusedNamingTheField(@TempDir Path tmp) throws IOException {
        Path src = Fixtures.path("lora/llama");
        Files.copy(src.resolve(Lora.WEIGHTS), tmp.resolve(Lora.WEIGHTS));
        String json = Files.readString(src.resolve(Lora.CONFIG)).replace("\"bias\": \"none\"", "\"bias\": \"all\"");
        Files.writeString(tmp.resolve(Lora.CONFIG), json);
        ModelConfig llama = Checkpoint.readConfig(Fixtures.path("families/llama"));
        try (NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> Lora.read(tmp, llama, m)).isInstanceOf(UserError.class)
                    .hasMessageContaining(Lora.CONFIG).hasMessageContaining("'bias'");
            ModelConfig gpt2 = Checkpoint.readConfig(Fixtures.path("families/gpt2"));
            assertThatThrownBy(() -> Lora.read(src, gpt2, m)).isInstanceOf(UserError.class)
                    .hasMessageContaining(Lora.WEIGHTS).hasMessageContaining("not a linear module");
        }
    }

    @Test
    void dropoutDropsOnlyInTrainingPassesAndFollowsItsSeed() {
        try (NDManager m = NDManager.newBaseManager()) {
            LoraDropout d = new LoraDropout(0.25);
            NDArray x = m.ones(new Shape(4, 1000));
            assertThat(d.apply(x)).isSameAs(x); // not in a training pass: the identity
            d.begin(m, 7);
            float[] a = d.apply(x).toFloatArray();
            d.begin(m, 7);
            float[] b = d.apply(x).toFloatArray();
            d.end();
            assertThat(d.apply(x)).isSameAs(x);
            assertThat(b).containsExactly(a);
            int zeros = 0;
            for (float v : a) {
                assertThat(v).isIn(0f, 1 / 0.75f); // inverted dropout: kept inputs scaled by 1/(1-p)
                zeros += v == 0 ? 1 : 0;
            }
            assertThat(zeros / (double) a.length).isCloseTo(0.25, org.assertj.core.api.Assertions.within(0.03));
        }
    }

    @Test
    void aFrozenCopySharesTheBaseAndKeepsTheAdaptersOfItsTime() {
        try (Case c = Case.load("llama"); NDManager copyManager = NDManager.newBaseManager()) {
            NDArray ids = c.inputIds();
            float[] before = c.model().forward(ids, null, null, null).toFloatArray();
            Transformer copy = c.model().frozenCopy(copyManager);
            for (String name : c.model().parameters().keySet()) {
                assertThat(copy.parameters().get(name)).as(name).isSameAs(c.model().parameters().get(name));
            }
            c.model().lora().tensors().values().forEach(a -> a.set(new float[Math.toIntExact(a.size())])); // A = B = 0
            assertThat(copy.forward(ids, null, null, null).toFloatArray()).containsExactly(before);
            assertThat(c.model().forward(ids, null, null, null).toFloatArray()).isNotEqualTo(before);
        }
    }
}
