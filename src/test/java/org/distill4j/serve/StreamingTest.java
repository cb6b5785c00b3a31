package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** stream: true gives OpenAI's chunks, and the chunks add up to the response the same request gets whole. */
class StreamingTest {
    @TempDir
    static Path tmp;
    static TinyServer tiny;

    @BeforeAll
    static void start() throws Exception {
        tiny = TinyServer.start(tmp.resolve("tiny"), c -> c);
    }

    @AfterAll
    static void stop() {
        tiny.close();
    }

    static URI uri(String path) {
        return tiny.uri(path);
    }

    static JsonNode whole(String path, String body) {
        Http.Reply r = Http.post(uri(path), body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    static Http.Events streamed(String path, String body) {
        Http.Events e = Http.stream(uri(path), body.replaceFirst("\\{", "{\"stream\": true, "));
        assertThat(e.status()).isEqualTo(200);
        assertThat(e.contentType()).startsWith("text/event-stream");
        assertThat(e.data()).last().isEqualTo("[DONE]");
        return e;
    }

    /** Per choice index: its chunks' choice objects, in order. */
    static Map<Integer, List<JsonNode>> byChoice(List<JsonNode> chunks) {
        Map<Integer, List<JsonNode>> out = new HashMap<>();
        for (JsonNode c : chunks) {
            for (JsonNode choice : c.get("choices")) {
                out.computeIfAbsent(choice.get("index").asInt(), k -> new ArrayList<>()).add(choice);
            }
        }
        return out;
    }

    @Test
    void completionChunksAddUpToTheWholeResponse() {
        String body = "{\"model\": \"tiny\", \"prompt\": [\"a b\", \"c\"], \"n\": 2, \"seed\": 7, \"max_tokens\": 12, "
                + "\"logprobs\": 2, \"stream_options\": {\"include_usage\": true}}";
        JsonNode expected = whole("/completions", body.replace(", \"stream_options\": {\"include_usage\": true}", ""));
        Http.Events events = streamed("/completions", body);
        List<JsonNode> chunks = events.chunks();
        assertThat(chunks).extracting(c -> c.get("object").asText()).containsOnly("text_completion");
        assertThat(chunks).extracting(c -> c.get("id").asText()).containsOnly(chunks.get(0).get("id").asText());
        JsonNode usage = chunks.get(chunks.size() - 1);
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.get("usage")).isEqualTo(expected.get("usage"));
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> assertThat(c.get("usage").isNull()).isTrue());

        Map<Integer, List<JsonNode>> choices = byChoice(chunks);
        assertThat(choices.keySet()).containsExactlyInAnyOrder(0, 1, 2, 3);
        for (JsonNode want : expected.get("choices")) {
            List<JsonNode> got = choices.get(want.get("index").asInt());
            StringBuilder text = new StringBuilder();
            List<Long> ids = new ArrayList<>();
            List<Double> logprobs = new ArrayList<>();
            List<JsonNode> pieces = new ArrayList<>();
            List<JsonNode> tops = new ArrayList<>();
            for (JsonNode c : got) {
                text.append(c.get("text").asText());
                pieces.add(c.get("logprobs").get("tokens").get(0));
                tops.add(c.get("logprobs").get("top_logprobs").get(0));
                assertThat(c.get("logprobs").get("tokens")).hasSize(1);
                assertThat(c.get("logprobs").get("top_token_ids").get(0)).hasSize(2);
                ids.add(c.get("logprobs").get("token_ids").get(0).asLong());
                logprobs.add(c.get("logprobs").get("token_logprobs").get(0).asDouble());
            }
            assertThat(text.toString()).isEqualTo(want.get("text").asText());
            // token texts and top_logprobs keys are decoded in context, as in the whole response
            assertThat(pieces).containsExactlyElementsOf(want.get("logprobs").get("tokens"));
            for (int i = 0; i < tops.size(); i++) {
                assertThat(tops.get(i).properties()).extracting(java.util.Map.Entry::getKey).containsExactlyElementsOf(
                        want.get("logprobs").get("top_logprobs").get(i).properties().stream().map(java.util.Map.Entry::getKey).toList());
            }
            List<Long> wantIds = new ArrayList<>();
            want.get("logprobs").get("token_ids").forEach(t -> wantIds.add(t.asLong()));
            assertThat(ids).isEqualTo(wantIds);
            for (int i = 0; i < logprobs.size(); i++) {
                assertThat(logprobs.get(i)).isCloseTo(want.get("logprobs").get("token_logprobs").get(i).asDouble(),
                        org.assertj.core.data.Offset.offset(1e-4));
            }
            for (int i = 0; i < got.size() - 1; i++) {
                assertThat(got.get(i).get("finish_reason").isNull()).isTrue();
            }
            assertThat(got.get(got.size() - 1).get("finish_reason").asText()).isEqualTo(want.get("finish_reason").asText());
        }
    }

    @Test
    void chatChunksAnnounceTheRoleThenCarryTheContent() {
        String body = "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"a b\"}], \"n\": 3, "
                + "\"seed\": 11, \"max_tokens\": 10, \"logprobs\": true, \"top_logprobs\": 2}";
        JsonNode expected = whole("/chat/completions", body);
        List<JsonNode> chunks = streamed("/chat/completions", body).chunks();
        assertThat(chunks).extracting(c -> c.get("object").asText()).containsOnly("chat.completion.chunk");
        assertThat(chunks).allSatisfy(c -> assertThat(c.has("usage")).isFalse());
        Map<Integer, List<JsonNode>> choices = byChoice(chunks);
        assertThat(choices.keySet()).containsExactlyInAnyOrder(0, 1, 2);
        for (JsonNode want : expected.get("choices")) {
            List<JsonNode> got = choices.get(want.get("index").asInt());
            assertThat(got.get(0).get("delta").get("role").asText()).isEqualTo("assistant");
            StringBuilder content = new StringBuilder();
            int tokens = 0;
            for (JsonNode c : got.subList(1, got.size())) {
                content.append(c.get("delta").get("content").asText());
                assertThat(c.get("logprobs").get("content")).hasSize(1);
                JsonNode entry = c.get("logprobs").get("content").get(0);
                JsonNode wantEntry = want.get("logprobs").get("content").get(tokens);
                assertThat(entry.get("token")).isEqualTo(wantEntry.get("token"));
                assertThat(entry.get("top_logprobs")).hasSize(2);
                for (int m = 0; m < 2; m++) {
                    assertThat(entry.get("top_logprobs").get(m).get("token")).isEqualTo(wantEntry.get("top_logprobs").get(m).get("token"));
                }
                tokens++;
            }
            assertThat(content.toString()).isEqualTo(want.get("message").get("content").asText());
            assertThat(tokens).isEqualTo(want.get("logprobs").get("content").size());
            assertThat(got.get(got.size() - 1).get("finish_reason").asText()).isEqualTo(want.get("finish_reason").asText());
        }
    }

    @Test
    void textThatBecomesAStopStringIsNeverSent() {
        // a seeded sample long enough to have a third word (the tiny model may end early on its end id)
        String sampled = null;
        String[] words = {};
        for (int seed = 0; words.length < 3; seed++) {
            sampled = "{\"model\": \"tiny\", \"prompt\": \"a b c\", \"seed\": " + seed + ", \"max_tokens\": 16}";
            words = whole("/completions", sampled).get("choices").get(0).get("text").asText().strip().split(" ");
        }
        String stop = " " + words[2];
        String body = sampled.replace("}", ", \"stop\": \"" + stop + "\"}");
        JsonNode expected = whole("/completions", body);
        List<JsonNode> chunks = streamed("/completions", body).chunks();
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            text.append(c.get("choices").get(0).get("text").asText());
            assertThat(text.toString()).doesNotContain(stop.strip());
        }
        assertThat(text.toString()).isEqualTo(expected.get("choices").get(0).get("text").asText());
        assertThat(chunks.get(chunks.size() - 1).get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
    }
}
