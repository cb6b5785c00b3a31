package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.Tokenizer;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Records with "messages" become tokens through the checkpoint's own chat template (or the default format). */
class ChatDataTest {
    @TempDir
    Path tmp;

    static final String QWEN_SYSTEM = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n";

    /** A byte-level tokenizer with ChatML's two special tokens, and {@code template} as its chat template. */
    private Path checkpoint(String template) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("ckpt-" + (template == null ? "none" : template)));
        ObjectNode tok = (ObjectNode) Json.read(Fixtures.path("tokenizers/byte_level/tokenizer.json"));
        for (String[] t : new String[][] {{"400", "<|im_start|>"}, {"401", "<|im_end|>"}}) {
            tok.withArray("added_tokens").addObject().put("id", Integer.parseInt(t[0])).put("content", t[1]).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        Json.write(dir.resolve("tokenizer.json"), tok);
        ObjectNode config = Json.object().put("eos_token", "<|im_end|>");
        if (template != null) {
            config.put("chat_template", Files.readString(Fixtures.path("chat/templates/" + template + ".jinja")));
        }
        Json.write(dir.resolve("tokenizer_config.json"), config);
        return dir;
    }

    private Path jsonl(String... lines) throws Exception {
        Path f = Files.createTempFile(tmp, "data", ".jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    @Test
    void aConversationTrainsOnTheAssistantTurnAsTheTemplateRendersIt() throws Exception {
        Path dir = checkpoint("qwen2.5");
        try (Tokenizer tok = Tokenizer.load(dir)) {
            PromptTemplate t = PromptTemplate.forCheckpoint(dir, tok, 401);
            Path data = jsonl("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello there\"}]}",
                    "{\"prompt\": \"plain\", \"response\": \" text\"}");
            List<Example> ex = SftData.load(data, t, 402, 1000).examples();
            assertThat(tok.decode(ex.get(0).prompt(), false)).isEqualTo(QWEN_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
            // the template's own end of turn ends the response: no second EOS
            assertThat(tok.decode(ex.get(0).response(), false)).isEqualTo("Hello there<|im_end|>\n");
            assertThat(ex.get(0).prompt()).doesNotContain(0L);
            assertThat(tok.decode(ex.get(1).response(), false)).isEqualTo(" text<|im_end|>");
        }
    }

    @Test
    void promptRecordsRenderWithTheGenerationPromptAndTheirTemplateArguments() throws Exception {
        Path dir = checkpoint("qwen3");
        try (Tokenizer tok = Tokenizer.load(dir)) {
            PromptTemplate t = PromptTemplate.forCheckpoint(dir, tok, 401);
            Path prompts = jsonl("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"chat_template_kwargs\": {\"enable_thinking\": false}}",
                    "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", "{\"prompt\": \"as is\"}");
            List<Jsonl.Line> lines = Jsonl.read(prompts);
            assertThat(tok.decode(t.prompt(lines.get(0), prompts), false))
                    .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
            assertThat(tok.decode(t.prompt(lines.get(1), prompts), false)).isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
            assertThat(tok.decode(t.prompt(lines.get(2), prompts), false)).isEqualTo("as is");
        }
    }

    @Test
    void withoutATemplateTheDefaultFormatAndEosAreUsed() throws Exception {
        Path dir = checkpoint(null);
        try (Tokenizer tok = Tokenizer.load(dir)) {
            PromptTemplate t = PromptTemplate.forCheckpoint(dir, tok, 401);
            Path data = jsonl("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Yo\"}]}");
            Example e = SftData.load(data, t, 402, 1000).examples().get(0);
            assertThat(tok.decode(e.prompt(), false)).isEqualTo("<|user|>\nHi\n<|assistant|>\n");
            assertThat(tok.decode(e.response(), false)).isEqualTo("Yo\n<|im_end|>");
        }
    }

    @Test
    void badConversationsAreErrorsNamingTheLine() throws Exception {
        Path dir = checkpoint("mistral");
        try (Tokenizer tok = Tokenizer.load(dir)) {
            PromptTemplate t = PromptTemplate.forCheckpoint(dir, tok, 401);
            Path endsWithUser = jsonl("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
            assertThatThrownBy(() -> SftData.load(endsWithUser, t, 402, 1000)).isInstanceOf(UserError.class)
                    .hasMessageContaining(endsWithUser + ":1").hasMessageContaining("end with an assistant message");
            Path refused = jsonl("{\"prompt\": \"a\", \"response\": \"b\"}",
                    "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"A\"}]}");
            assertThatThrownBy(() -> SftData.load(refused, t, 402, 1000)).isInstanceOf(UserError.class)
                    .hasMessageContaining(refused + ":2").hasMessageContaining("Conversation roles must alternate");
            Path malformed = jsonl("{\"messages\": [{\"role\": \"user\"}]}");
            assertThatThrownBy(() -> SftData.load(malformed, t, 402, 1000)).isInstanceOf(UserError.class)
                    .hasMessageContaining(malformed + ":1").hasMessageContaining("messages[0]");
        }
    }
}
