package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
    @TempDir
    Path tmp;

    @Test
    void readsTransformersFiveConfigs() {
        ModelConfig q = ModelConfig.read(Fixtures.path("lm/qwen2_bias/config.json"));
        assertThat(q.modelType()).isEqualTo("qwen2");
        assertThat(q.qkvBias()).isTrue();
        assertThat(q.outputBias()).isFalse();
        assertThat(q.ropeTheta()).isEqualTo(1_000_000.0);
        assertThat(q.numKeyValueHeads()).isEqualTo(2);
        assertThat(q.headDim()).isEqualTo(8);
        ModelConfig l = ModelConfig.read(Fixtures.path("lm/llama_untied/config.json"));
        assertThat(l.headDim()).isEqualTo(16);
        assertThat(l.tieWordEmbeddings()).isFalse();
        assertThat(l.eosTokenIds()).containsExactly(2);
    }

    @Test
    void writesWhatItReads() {
        for (String c : new String[] {"llama_gqa_tied", "llama_untied", "qwen2_bias", "mistral"}) {
            ModelConfig a = ModelConfig.read(Fixtures.path("lm/" + c + "/config.json"));
            Path f = tmp.resolve(c + ".json");
            a.write(f);
            assertThat(ModelConfig.read(f)).as(c).isEqualTo(a);
        }
    }

    private Path config(java.util.function.Consumer<ObjectNode> edit) throws Exception {
        ObjectNode n = (ObjectNode) org.distill4j.util.Json.read(Fixtures.path("lm/llama_gqa_tied/config.json"));
        edit.accept(n);
        Path f = tmp.resolve("config.json");
        Files.writeString(f, n.toString());
        return f;
    }

    @Test
    void missingFieldIsNamed() throws Exception {
        Path f = config(n -> n.remove("hidden_size"));
        assertThatThrownBy(() -> ModelConfig.read(f)).isInstanceOf(UserError.class)
                .hasMessageContaining("config.json").hasMessageContaining("hidden_size");
    }

    @Test
    void unknownModelTypeIsNamed() throws Exception {
        Path f = config(n -> n.put("model_type", "falcon"));
        assertThatThrownBy(() -> ModelConfig.read(f)).isInstanceOf(UserError.class).hasMessageContaining("falcon");
    }

    @Test
    void headsThatDoNotDivideAreRejected() throws Exception {
        Path f = config(n -> n.put("num_key_value_heads", 3));
        assertThatThrownBy(() -> ModelConfig.read(f)).isInstanceOf(UserError.class).hasMessageContaining("num_key_value_heads");
    }

    @Test
    void everyFamilyWritesWhatItReads() {
        for (String c : FamilyParityTest.cases()) {
            ModelConfig a = ModelConfig.read(Fixtures.path("families/" + c + "/config.json"));
            Path f = tmp.resolve(c + ".json");
            a.write(f);
            assertThat(ModelConfig.read(f)).as(c).isEqualTo(a);
        }
    }

    @Test
    void familyDetailsAreRead() {
        ModelConfig gemma2 = ModelConfig.read(Fixtures.path("families/gemma2/config.json"));
        assertThat(gemma2.slidingLayers()).containsExactly(true, false);
        assertThat(gemma2.slidingWindow()).isZero(); // layers differ: callers pass the full mask
        assertThat(gemma2.window(0)).isEqualTo(4);
        assertThat(gemma2.attentionScale()).isEqualTo(0.25); // query_pre_attn_scalar 16, not head_dim 8
        assertThat(gemma2.attnLogitSoftcap()).isEqualTo(3.0);
        assertThat(gemma2.finalLogitSoftcap()).isEqualTo(5.0);
        ModelConfig gemma3 = ModelConfig.read(Fixtures.path("families/gemma3_text/config.json"));
        assertThat(gemma3.rope().type()).isEqualTo("linear");
        assertThat(gemma3.rope().theta()).isEqualTo(1_000_000.0);
        assertThat(gemma3.localRope().theta()).isEqualTo(10_000.0);
        ModelConfig qwen3 = ModelConfig.read(Fixtures.path("families/qwen3/config.json"));
        assertThat(qwen3.headDim()).isEqualTo(16);
        assertThat(qwen3.slidingLayers()).containsExactly(false, true);
        assertThat(ModelConfig.read(Fixtures.path("families/phi3/config.json")).rope().rotaryDim(8)).isEqualTo(4);
        ModelConfig gpt2 = ModelConfig.read(Fixtures.path("families/gpt2/config.json"));
        assertThat(gpt2.intermediateSize()).isEqualTo(128); // n_inner null: 4 × n_embd
        assertThat(gpt2.maxPositionEmbeddings()).isEqualTo(64);
        ModelConfig mistral = ModelConfig.read(Fixtures.path("families/mistral/config.json"));
        assertThat(mistral.slidingWindow()).isEqualTo(5);
    }

    @Test
    void unsupportedOptionsFailWithOneLineNamingThem() throws Exception {
        assertOneLineError(config(n -> n.putObject("rope_scaling").put("rope_type", "longrope").put("factor", 2.0)), "longrope");
        assertOneLineError(config(n -> n.put("hidden_act", "gelu")), "hidden_act");
        assertOneLineError(family("gpt2", n -> n.put("scale_attn_by_inverse_layer_idx", true)), "scale_attn_by_inverse_layer_idx");
        assertOneLineError(family("gpt2", n -> n.put("activation_function", "relu")), "activation_function");
        assertOneLineError(family("gemma3_text", n -> n.put("use_bidirectional_attention", true)), "use_bidirectional_attention");
        assertOneLineError(family("gemma2", n -> n.putArray("layer_types").add("chunked_attention").add("full_attention")),
                "chunked_attention");
        assertOneLineError(family("llama_llama3", n -> ((ObjectNode) n.get("rope_parameters")).remove("low_freq_factor")),
                "low_freq_factor");
    }

    private Path family(String name, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        ObjectNode n = (ObjectNode) org.distill4j.util.Json.read(Fixtures.path("families/" + name + "/config.json"));
        edit.accept(n);
        Path f = tmp.resolve("config.json");
        Files.writeString(f, n.toString());
        return f;
    }

    private static void assertOneLineError(Path f, String named) {
        assertThatThrownBy(() -> ModelConfig.read(f)).isInstanceOf(UserError.class).hasMessageContaining(named)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").startsWith(f.toString() + ": ")
                        .doesNotStartWith(f + ": " + f));
    }

    @Test
    void parameterCountMatchesTheTensors() {
        ModelConfig c = ModelConfig.read(Fixtures.path("lm/qwen2_bias/config.json"));
        long n = Transformer.parameterShapes(c).values().stream()
                .mapToLong(s -> java.util.Arrays.stream(s).reduce(1, (x, y) -> x * y)).sum();
        assertThat(c.parameterCount()).isEqualTo(n).isEqualTo(19744); // tools/fixtures/lm_fixtures.py prints 19744
    }
}
