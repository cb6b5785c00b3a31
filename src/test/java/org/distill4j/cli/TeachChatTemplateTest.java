package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.Example;
import org.distill4j.data.PromptTemplate;
import org.distill4j.data.SftData;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.TokenizerConfig;
import org.distill4j.serve.ChatTemplate;
import org.distill4j.serve.OpenAiServer;
import org.distill4j.serve.ServeConfig;
import org.distill4j.serve.TinyModel;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A conversation through the whole chain: `teach --chat` sends "messages" to `serve`, which renders them with the
 * checkpoint's own chat template; the teach output (messages + response) trains through the student's template.
 */
class TeachChatTemplateTest {
    @TempDir
    Path tmp;

    /** A template in the tiny model's words: user turns "a … b", assistant turns "c … </s>", generation prompt "c". */
    static final String TEMPLATE = "{%- for m in messages %}{% if m.role == 'user' %}{{ 'a ' + m.content.strip() + ' b ' }}"
            + "{% else %}{{ 'c ' + m.content + ' ' + eos_token + ' ' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'c' }}{% endif %}";

    @Test
    void teachChatThroughServeAndBackIntoSft() throws Exception {
        Path model = TinyModel.write(tmp.resolve("tiny"));
        Json.write(model.resolve(TokenizerConfig.FILE), Json.object().put("eos_token", "</s>").put("chat_template", TEMPLATE));
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"messages": [{"role": "user", "content": " d e "}], "id": 0}
                {"messages": [{"role": "user", "content": "f"}, {"role": "assistant", "content": "g"}, {"role": "user", "content": "h"}], "id": 1}
                """);
        Path out = tmp.resolve("out.jsonl");
        ChatTemplate.Choice choice = ChatTemplate.forCheckpoint(model, "auto");
        assertThat(choice.template().name()).isEqualTo("checkpoint");
        try (LanguageModel lm = LanguageModel.load(model);
             OpenAiServer server = OpenAiServer.start(lm, ServeConfig.loopback("tiny"), choice.template())) {
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "teach", "--endpoint",
                    server.baseUri().toString(), "--model", "tiny", "--prompts", prompts.toString(), "--out", out.toString(),
                    "--chat", "--max-tokens", "4", "--temperature", "1");
            assertThat(code).as(err.toString()).isZero();
        }
        List<Jsonl.Line> rows = Jsonl.read(out);
        assertThat(rows).hasSize(2);
        try (LanguageModel lm = LanguageModel.load(model)) {
            PromptTemplate template = PromptTemplate.forCheckpoint(model, lm.tokenizer(), lm.config().eosTokenId());
            List<Example> examples = SftData.load(out, template, lm.config().vocabSize(), 64).examples();
            assertThat(lm.tokenizer().decode(examples.get(0).prompt(), false)).isEqualTo("a d e b c");
            assertThat(lm.tokenizer().decode(examples.get(1).prompt(), false)).isEqualTo("a f b c g </s> a h b c");
            String response = rows.get(1).value().get("response").asText();
            // the response as the template closes an assistant turn: its text, then the template's EOS (no second one)
            assertThat(lm.tokenizer().decode(examples.get(1).response(), false)).isEqualTo((response + " </s>").strip());
        }
    }

    @Test
    void generateRendersConversationsAndItsOutputTrains() throws Exception {
        Path model = TinyModel.write(tmp.resolve("tiny"));
        Json.write(model.resolve(TokenizerConfig.FILE), Json.object().put("eos_token", "</s>").put("chat_template", TEMPLATE));
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, "{\"messages\": [{\"role\": \"user\", \"content\": \"d\"}]}\n");
        Path out = tmp.resolve("gen.jsonl");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "generate", "--model",
                model.toString(), "--prompts", prompts.toString(), "--out", out.toString(), "--max-new-tokens", "3");
        assertThat(code).as(err.toString()).isZero();
        try (LanguageModel lm = LanguageModel.load(model)) {
            PromptTemplate template = PromptTemplate.forCheckpoint(model, lm.tokenizer(), lm.config().eosTokenId());
            Example e = SftData.load(out, template, lm.config().vocabSize(), 64).examples().get(0);
            assertThat(lm.tokenizer().decode(e.prompt(), false)).isEqualTo("a d b c");
        }
    }
}
