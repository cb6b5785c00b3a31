package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.distill4j.lm.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAI response shapes and sampling settings, against the tiny checkpoint. */
class OpenAiServerTest {
    @TempDir
    static Path tmp;
    static LanguageModel lm;
    static OpenAiServer server;

    @BeforeAll
    static void start() throws Exception {
        lm = LanguageModel.load(TinyModel.write(tmp.resolve("tiny")));
        server = OpenAiServer.start(lm, ServeConfig.loopback("tiny"), new ChatTemplate.Default());
    }

    @AfterAll
    static void stop() {
        server.close();
        lm.close();
    }

    static URI uri(String path) {
        return URI.create(server.baseUri() + path);
    }

    static URI root(String path) {
        return server.baseUri().resolve(path);
    }

    static JsonNode ok(String path, String body) {
        Http.Reply r = Http.post(uri(path), body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    @Test
    void bindsLoopbackOnAnEphemeralPort() {
        assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(server.address().getPort()).isPositive();
    }

    @Test
    void listsTheServedModel() {
        Http.Reply r = Http.get(uri("/models"));
        assertThat(r.status()).isEqualTo(200);
        JsonNode data = r.json().get("data");
        assertThat(r.json().get("object").asText()).isEqualTo("list");
        assertThat(data).hasSize(1);
        assertThat(data.get(0).get("id").asText()).isEqualTo("tiny");
        assertThat(data.get(0).get("object").asText()).isEqualTo("model");
        assertThat(Http.get(uri("/models/tiny")).status()).isEqualTo(200);
        assertThat(Http.get(uri("/models/other")).status()).isEqualTo(404);
    }

    @Test
    void completionHasTheOpenAiShape() {
        JsonNode r = ok("/completions", "{\"model\": \"tiny\", \"prompt\": \"a b c\", \"max_tokens\": 5, \"n\": 3, \"seed\": 1}");
        assertThat(r.get("object").asText()).isEqualTo("text_completion");
        assertThat(r.get("id").asText()).startsWith("cmpl-");
        assertThat(r.get("model").asText()).isEqualTo("tiny");
        assertThat(r.get("choices")).hasSize(3);
        long completionTokens = 0;
        for (int i = 0; i < 3; i++) {
            JsonNode c = r.get("choices").get(i);
            assertThat(c.get("index").asInt()).isEqualTo(i);
            assertThat(c.get("text").isTextual()).isTrue();
            assertThat(c.get("logprobs").isNull()).isTrue();
            assertThat(c.get("finish_reason").asText()).isIn("stop", "length");
        }
        JsonNode usage = r.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(lm.encodePrompt("a b c").length);
        assertThat(usage.get("completion_tokens").asInt()).isBetween(3, 15);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
    }

    @Test
    void severalPromptsAndTokenIdPrompts() {
        JsonNode r = ok("/completions", "{\"model\": \"tiny\", \"prompt\": [\"a b\", \"c d e\"], \"max_tokens\": 3, \"n\": 2}");
        assertThat(r.get("choices")).hasSize(4);
        JsonNode ids = ok("/completions", "{\"model\": \"tiny\", \"prompt\": [[1, 4, 5], [1, 6]], \"max_tokens\": 3}");
        assertThat(ids.get("choices")).hasSize(2);
        assertThat(ids.get("usage").get("prompt_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void aSeedMakesSamplesReproducibleWhateverTheBatch() throws Exception {
        String body = "{\"model\": \"tiny\", \"prompt\": \"q r s\", \"max_tokens\": 8, \"n\": 2, \"seed\": 77}";
        List<String> alone = texts(ok("/completions", body));
        List<Future<JsonNode>> crowd = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 6; i++) {
                String other = "{\"model\": \"tiny\", \"prompt\": \"x y " + i + "\", \"max_tokens\": 8, \"n\": 3}";
                crowd.add(pool.submit(() -> ok("/completions", other)));
            }
            crowd.add(pool.submit(() -> ok("/completions", body)));
        }
        assertThat(texts(crowd.get(crowd.size() - 1).get())).isEqualTo(alone);
        assertThat(texts(ok("/completions", body.replace("77", "78")))).isNotEqualTo(alone);
    }

    @Test
    void greedyStopStringCutsTheText() {
        String greedy = "{\"model\": \"tiny\", \"prompt\": \"a b c\", \"max_tokens\": 10, \"temperature\": 0";
        String full = ok("/completions", greedy + "}").get("choices").get(0).get("text").asText();
        String[] words = full.trim().split(" ");
        assertThat(words.length).as(full).isGreaterThanOrEqualTo(3);
        JsonNode cut = ok("/completions", greedy + ", \"stop\": [\"" + words[2] + "\"]}").get("choices").get(0);
        assertThat(full).startsWith(cut.get("text").asText());
        assertThat(cut.get("text").asText()).doesNotContain(words[2]);
        assertThat(cut.get("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void chatRendersTheDefaultTemplate() {
        JsonNode r = ok("/chat/completions", "{\"model\": \"tiny\", \"max_tokens\": 4, \"n\": 2, \"messages\": ["
                + "{\"role\": \"system\", \"content\": \"b\"}, {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a c\"}]}]}");
        assertThat(r.get("object").asText()).isEqualTo("chat.completion");
        assertThat(r.get("id").asText()).startsWith("chatcmpl-");
        assertThat(r.get("choices")).hasSize(2);
        JsonNode m = r.get("choices").get(0).get("message");
        assertThat(m.get("role").asText()).isEqualTo("assistant");
        assertThat(m.get("content").isTextual()).isTrue();
        String rendered = "<|system|>\nb\n<|user|>\na c\n<|assistant|>\n";
        assertThat(r.get("usage").get("prompt_tokens").asInt()).isEqualTo(lm.encodePrompt(rendered).length);
    }

    @Test
    void healthAndStats() {
        assertThat(Http.get(root("/health")).status()).isEqualTo(200);
        JsonNode stats = Http.get(root("/stats")).json();
        assertThat(stats.has("decoding_steps")).isTrue();
        assertThat(stats.has("cache_rebuilds")).isTrue();
    }

    private static List<String> texts(JsonNode r) {
        List<String> out = new ArrayList<>();
        r.get("choices").forEach(c -> out.add(c.get("text").asText()));
        return out;
    }
}
