package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Conversation;
import org.distill4j.data.PromptTemplate;
import org.distill4j.data.SftData;
import org.distill4j.lm.ChatFormat;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.TokenizerConfig;
import org.distill4j.lm.WordLevelTokenizer;
import org.distill4j.openai.Prompt;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GAD and SeqKD prompt files may hold conversations: they travel as keys ({@link Conversation#key()}), are sent to
 * an endpoint as chat messages, kept as {"messages", "response"} rows, and become the student's tokens through the
 * student's own chat template.
 */
class ConversationPromptsTest {
    @TempDir
    Path tmp;

    static final String TEMPLATE = "{%- for m in messages %}{{ ('a ' if m.role == 'user' else 'c ') + m.content + ' ' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ 'c' }}{% endif %}";

    @Test
    void keysRoundTripAndOnlyTheirOwnFormIsAConversation() {
        Conversation c = new Conversation(List.of(new ChatFormat.Message("user", "hi \"x\"")), Map.of("enable_thinking", false));
        assertThat(Conversation.fromKey(c.key())).isEqualTo(c);
        assertThat(Conversation.fromKey("plain text")).isNull();
        assertThat(Conversation.fromKey("{\"messages\": [{\"role\": \"user\", \"content\": \"spaced differently\"}]}")).isNull();
        assertThat(Prompt.ofKey(c.key())).isEqualTo(new Prompt.Conversation(List.of(new Prompt.Turn("user", "hi \"x\""))));
        assertThat(Prompt.ofKey("plain")).isEqualTo(new Prompt.Text("plain"));
    }

    @Test
    void conversationsArePairedThroughTheStudentsTemplateAndKeptAsSftRows() throws Exception {
        Path student = Files.createDirectories(tmp.resolve("student"));
        WordLevelTokenizer.write(student.resolve("tokenizer.json"), List.of("a", "b", "c", "d", "e", "f"));
        Json.write(student.resolve(TokenizerConfig.FILE), Json.object().put("eos_token", "</s>").put("chat_template", TEMPLATE));
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"d\"}\n{\"messages\": [{\"role\": \"user\", \"content\": \"e\"}]}\n");
        List<String> keys = Jsonl.read(prompts).stream().map(l -> Conversation.promptKey(l, prompts)).toList();
        TeacherResponses r = TeacherResponses.collect((ps, n) -> ps.stream().map(p -> List.of("f")).toList(), keys, 1);
        Path cache = tmp.resolve("teacher-responses.jsonl");
        r.write(cache);
        List<Jsonl.Line> rows = Jsonl.read(cache);
        assertThat(rows.get(0).value().get("prompt").asText()).isEqualTo("d");
        assertThat(rows.get(1).value().has("messages")).isTrue();
        assertThat(TeacherResponses.read(cache).get(keys.get(1))).containsExactly("f");
        try (Tokenizer tok = Tokenizer.load(student)) {
            PromptTemplate template = PromptTemplate.forCheckpoint(student, tok, WordLevelTokenizer.EOS_ID);
            TeacherResponses.Pairing p = TeacherResponses.read(cache).pair(keys, template, 8, 64);
            assertThat(tok.decode(p.examples().get(0).prompt(), false)).isEqualTo("<s> d");
            assertThat(tok.decode(p.examples().get(1).prompt(), false)).isEqualTo("a e c");
            // the cached responses are training data for sft as they are
            assertThat(tok.decode(SftData.load(cache, template, 10, 64).examples().get(1).prompt(), false)).isEqualTo("a e c");
        }
    }
}
