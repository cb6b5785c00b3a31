package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Saved checkpoints carry a tokenizer_config.json, so that AutoTokenizer.from_pretrained(dir) loads them with BOS,
 * EOS and a pad token. The directories are also left in target/tokenizer-export for tools/fixtures/check_tokenizer_load.py,
 * which loads each with transformers and pads a batch.
 */
class TokenizerConfigTest {
    @TempDir
    Path tmp;

    static final Path EXPORT = Path.of("target", "tokenizer-export");

    @Test
    void aTokenizerWithoutConfigGetsOneNamingItsSpecialTokens() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        WordLevelTokenizer.write(src.resolve("tokenizer.json"), List.of("a", "b", "c"));
        ModelConfig config = ModelConfig.llama(7, 8, 16, 1, 2, 1, 64, true, WordLevelTokenizer.BOS_ID,
                WordLevelTokenizer.EOS_ID, WordLevelTokenizer.PAD_ID);
        Path out = export("word_level", src.resolve("tokenizer.json"), config);
        JsonNode c = Json.read(out.resolve(TokenizerConfig.FILE));
        assertThat(c.get("bos_token").asText()).isEqualTo("<s>");
        assertThat(c.get("eos_token").asText()).isEqualTo("</s>");
        assertThat(c.get("pad_token").asText()).isEqualTo("<pad>");
        assertThat(c.get("unk_token").asText()).isEqualTo("<unk>");
        assertThat(TokenizerConfig.read(out).specialTokens()).containsEntry("eos_token", "</s>");
    }

    @Test
    void withoutAPadIdTheEosTokenPads() throws Exception {
        Path tok = Fixtures.path("tokenizers/sp_llama2/tokenizer.json");
        ModelConfig config = ModelConfig.llama(516, 8, 16, 1, 2, 1, 64, true, 1, 2, -1);
        JsonNode c = Json.read(export("sp_llama2", tok, config).resolve(TokenizerConfig.FILE));
        assertThat(c.get("bos_token").asText()).isEqualTo("<s>");
        assertThat(c.get("pad_token").asText()).isEqualTo("</s>");
    }

    @Test
    void theSourceCheckpointsOwnConfigAndTemplateAreKept() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("chat"));
        Files.copy(Fixtures.path("tokenizers/byte_level/tokenizer.json"), src.resolve("tokenizer.json"));
        String template = Files.readString(Fixtures.path("chat/templates/smollm2.jinja"));
        Json.write(src.resolve(TokenizerConfig.FILE), Json.object().put("tokenizer_class", "PreTrainedTokenizerFast")
                .put("bos_token", "<|endoftext|>").put("eos_token", "<|endoftext|>").put("pad_token", "<|endoftext|>")
                .put("chat_template", template));
        ModelConfig config = ModelConfig.llama(400, 8, 16, 1, 2, 1, 64, true, 0, 0, -1);
        Path out = export("byte_level_chat", src.resolve("tokenizer.json"), config);
        assertThat(Files.readString(out.resolve(TokenizerConfig.FILE))).isEqualTo(Files.readString(src.resolve(TokenizerConfig.FILE)));
        assertThat(TokenizerConfig.read(out).chatTemplate()).isEqualTo(template);
    }

    @Test
    void savingWhereTheTokenizerLivesKeepsItsConfig() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("inplace"));
        WordLevelTokenizer.write(dir.resolve("tokenizer.json"), List.of("a"));
        Json.write(dir.resolve(TokenizerConfig.FILE), Json.object().put("chat_template", "{{ messages[0].content }}"));
        ModelConfig config = ModelConfig.llama(5, 8, 16, 1, 2, 1, 64, true, 1, 2, 0);
        TokenizerConfig.writeFor(dir, dir.resolve("tokenizer.json"), config);
        assertThat(TokenizerConfig.read(dir).chatTemplate()).isEqualTo("{{ messages[0].content }}");
    }

    private static Path export(String name, Path tokenizer, ModelConfig config) throws Exception {
        Path dir = Files.createDirectories(EXPORT.resolve(name));
        Files.copy(tokenizer, dir.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        TokenizerConfig.writeFor(dir, tokenizer, config);
        return dir;
    }
}
