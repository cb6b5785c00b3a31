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

    @Test
    void chatMlWithQwensDefaultSystemTurn() throws Exception {
        String qwen = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
                + "{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
                + "{%- for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
        ChatTemplate.Choice c = ChatTemplate.forCheckpoint(checkpointWithTemplate(qwen), "auto");
        assertThat(c.template().name()).isEqualTo("chatml");
        assertThat(c.template().render(List.of(new ChatMessage("user", "Hi")))).isEqualTo(
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(c.template().render(CHAT)).startsWith("<|im_start|>system\nBe brief.<|im_end|>\n");
        assertThat(c.template().addSpecialTokens()).isFalse();
        assertThat(c.template().endOfTurn()).containsExactly("<|im_end|>");
    }

    @Test
    void llama3() throws Exception {
        String llama = "{{- bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}";
        ChatTemplate t = ChatTemplate.forCheckpoint(checkpointWithTemplate(llama), "auto").template();
        assertThat(t.name()).isEqualTo("llama3");
        assertThat(t.render(List.of(new ChatMessage("user", " Hi ")))).isEqualTo(
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void unknownOrMissingTemplatesFallBackToTheDefault() throws Exception {
        ChatTemplate.Choice unknown = ChatTemplate.forCheckpoint(checkpointWithTemplate("{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}"), "auto");
        assertThat(unknown.template()).isInstanceOf(ChatTemplate.Default.class);
        assertThat(unknown.reason()).contains("not one this server can render");
        ChatTemplate.Choice none = ChatTemplate.forCheckpoint(checkpointWithTemplate(null), "auto");
        assertThat(none.template()).isInstanceOf(ChatTemplate.Default.class);
        assertThat(ChatTemplate.forCheckpoint(tmp, "auto").template()).isInstanceOf(ChatTemplate.Default.class);
    }

    @Test
    void aForcedTemplateWinsAndUnknownNamesAreRefused() throws Exception {
        Path dir = checkpointWithTemplate(null);
        assertThat(ChatTemplate.forCheckpoint(dir, "chatml").template().name()).isEqualTo("chatml");
        assertThatThrownBy(() -> ChatTemplate.forCheckpoint(dir, "vicuna")).isInstanceOf(UserError.class)
                .hasMessageContaining("vicuna");
    }
}
