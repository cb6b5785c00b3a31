package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTemplateTest {
    @TempDir
    Path tmp;

    static final List<ChatMessage> CHAT = List.of(new ChatMessage("system", "Be brief."),
            new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello."), new ChatMessage("user", "Sum 2+2"));

    private Path checkpointWithTemplate(String template) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "ckpt");
        var cfg = Json.object().put("bos_token", "<|begin_of_text|>");
        if (template != null) {
            cfg.put("chat_template", template);
        }
        Json.write(dir.resolve("tokenizer_config.json"), cfg);
        return dir;
    }

    @Test
    void defaultTemplateIsTheDocumentedOne() {
        assertThat(new ChatTemplate.Default().render(CHAT)).isEqualTo(
                "<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\nHello.\n<|user|>\nSum 2+2\n<|assistant|>\n");
    }

    static final String QWEN = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
            + "{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
            + "{%- for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

    @Test
    void theCheckpointsOwnTemplateIsRenderedWithTheGenerationPrompt() throws Exception {
        ChatTemplate.Choice c = ChatTemplate.forCheckpoint(checkpointWithTemplate(QWEN), "auto");
        assertThat(c.template().name()).isEqualTo("checkpoint");
        assertThat(c.reason()).contains("own chat template");
        assertThat(c.template().render(List.of(new ChatMessage("user", "Hi")))).isEqualTo(
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(c.template().addSpecialTokens()).isFalse();
        assertThat(c.template().endOfTurn()).containsExactly("<|im_end|>");
    }

    @Test
    void aRequestsTemplateKeywordArgumentsReachTheTemplate() throws Exception {
        String thinking = "{% for m in messages %}{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}>"
                + "{% if enable_thinking is defined and enable_thinking is false %}<think></think>{% endif %}{% endif %}";
        ChatTemplate t = ChatTemplate.forCheckpoint(checkpointWithTemplate(thinking), "auto").template();
        List<ChatMessage> hi = List.of(new ChatMessage("user", "Hi"));
        assertThat(t.render(hi)).isEqualTo("Hi>");
        assertThat(t.render(hi, java.util.Map.of("enable_thinking", false))).isEqualTo("Hi><think></think>");
        assertThat(t.render(hi, java.util.Map.of("enable_thinking", true))).isEqualTo("Hi>");
    }

    @Test
    void aConversationTheTemplateRefusesIsTheClientsError() throws Exception {
        String strict = "{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                + "[INST] {{ m['content'] }} [/INST]{% endfor %}";
        ChatTemplate t = ChatTemplate.forCheckpoint(checkpointWithTemplate(strict), "auto").template();
        assertThat(t.render(List.of(new ChatMessage("user", "Hi")))).isEqualTo("[INST] Hi [/INST]");
        assertThatThrownBy(() -> t.render(CHAT)).isInstanceOfSatisfying(ApiError.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.getMessage()).contains("roles must alternate");
        });
    }

    @Test
    void forcedChatMlKeepsQwensDefaultSystemTurn() throws Exception {
        ChatTemplate t = ChatTemplate.forCheckpoint(checkpointWithTemplate(QWEN), "chatml").template();
        assertThat(t.name()).isEqualTo("chatml");
        assertThat(t.render(List.of(new ChatMessage("user", "Hi")))).isEqualTo(
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(t.render(CHAT)).startsWith("<|im_start|>system\nBe brief.<|im_end|>\n");
    }

    @Test
    void forcedLlama3() throws Exception {
        ChatTemplate t = ChatTemplate.forCheckpoint(checkpointWithTemplate(null), "llama3").template();
        assertThat(t.name()).isEqualTo("llama3");
        assertThat(t.render(List.of(new ChatMessage("user", " Hi ")))).isEqualTo(
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void checkpointsWithoutATemplateUseTheDefault() throws Exception {
        ChatTemplate.Choice none = ChatTemplate.forCheckpoint(checkpointWithTemplate(null), "auto");
        assertThat(none.template()).isInstanceOf(ChatTemplate.Default.class);
        assertThat(none.reason()).contains("no chat template");
        assertThat(ChatTemplate.forCheckpoint(tmp, "auto").template()).isInstanceOf(ChatTemplate.Default.class);
    }

    @Test
    void aTemplateThatCannotRunIsRefusedAtStartupNamingTheCheckpoint() throws Exception {
        Path broken = checkpointWithTemplate("{% for m in messages %}{{ m.content.nosuchmethod() }}{% endfor %}");
        assertThatThrownBy(() -> ChatTemplate.forCheckpoint(broken, "auto")).isInstanceOf(UserError.class)
                .hasMessageContaining(broken.toString()).hasMessageContaining("cannot be rendered");
        // a template that refuses the probe conversation is fine: it is the conversation it refuses
        String needsSystem = "{% if messages[0].role != 'system' %}{{ raise_exception('a system message is required') }}{% endif %}ok";
        assertThat(ChatTemplate.forCheckpoint(checkpointWithTemplate(needsSystem), "auto").template().name()).isEqualTo("checkpoint");
    }

    @Test
    void aForcedTemplateWinsAndUnknownNamesAreRefused() throws Exception {
        Path dir = checkpointWithTemplate(null);
        assertThat(ChatTemplate.forCheckpoint(dir, "chatml").template().name()).isEqualTo("chatml");
        assertThatThrownBy(() -> ChatTemplate.forCheckpoint(dir, "vicuna")).isInstanceOf(UserError.class)
                .hasMessageContaining("vicuna");
    }
}
