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
    void parameterCountMatchesTheTensors() {
        ModelConfig c = ModelConfig.read(Fixtures.path("lm/qwen2_bias/config.json"));
        long n = Transformer.parameterShapes(c).values().stream()
                .mapToLong(s -> java.util.Arrays.stream(s).reduce(1, (x, y) -> x * y)).sum();
        assertThat(c.parameterCount()).isEqualTo(n).isEqualTo(19744); // tools/lm_fixtures.py prints 19744
    }
}
