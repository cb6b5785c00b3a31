package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.distill4j.cli.Main;
import org.distill4j.lm.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A served model is a white-box teacher: its reported log-probs are the model's log-softmax. */
class LogprobsTest {
    @TempDir
    static Path tmp;
    static Path dir;
    static LanguageModel lm;
    static OpenAiServer server;

    @BeforeAll
    static void start() throws Exception {
        dir = TinyModel.write(tmp.resolve("tiny"));
        lm = LanguageModel.load(dir);
        server = OpenAiServer.start(lm, ServeConfig.loopback("tiny"), new ChatTemplate.Default());
    }

    @AfterAll
    static void stop() {
        server.close();
        lm.close();
    }

    static JsonNode ok(String path, String body) {
        Http.Reply r = Http.post(URI.create(server.baseUri() + path), body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** log-softmax rows of one sequence, by a direct forward pass: row t = distribution of token t + 1. */
    static float[][] logSoftmax(long[] ids) {
        try (NDManager m = lm.manager().newSubManager()) {
            NDArray logits = lm.transformer().forward(m.create(ids, new Shape(1, ids.length)), null, null, null);
            int v = (int) logits.getShape().get(2);
            float[] flat = logits.logSoftmax(-1).toFloatArray();
            float[][] rows = new float[ids.length][];
            for (int t = 0; t < ids.length; t++) {
                rows[t] = Arrays.copyOfRange(flat, t * v, (t + 1) * v);
            }
            return rows;
        }
    }

    static long[] ids(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The top-k of a row: ids by decreasing log-prob. */
    static int[] topIds(float[] row, int k) {
        return IntStream.range(0, row.length).boxed().sorted(Comparator.comparingDouble(i -> -row[i]))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void completionTopLogprobsAreTheModelsLogSoftmax() {
        JsonNode r = ok("/completions", "{\"model\": \"tiny\", \"prompt\": \"a b c\", \"max_tokens\": 6, "
                + "\"temperature\": 1.3, \"top_p\": 0.9, \"logprobs\": 5, \"seed\": 3}");
        JsonNode lp = r.get("choices").get(0).get("logprobs");
        long[] prompt = lm.encodePrompt("a b c");
        long[] generated = ids(lp.get("token_ids"));
        assertThat(generated).isNotEmpty();
        float[][] rows = logSoftmax(concat(prompt, generated));
        List<float[]> scored = lm.scoreResponses(List.of(prompt), List.of(generated), 1);
        for (int j = 0; j < generated.length; j++) {
            float[] row = rows[prompt.length - 1 + j];
            // the chosen token's log-prob is the untempered model's, whatever temperature / top_p were
            assertThat(lp.get("token_logprobs").get(j).asDouble()).isCloseTo(row[(int) generated[j]], within(1e-4));
            assertThat(lp.get("token_logprobs").get(j).asDouble()).isCloseTo(scored.get(0)[j], within(1e-4));
            int[] expected = topIds(row, 5);
            JsonNode topIds = lp.get("top_token_ids").get(j);
            JsonNode topValues = lp.get("top_token_logprobs").get(j);
            assertThat(topIds).hasSize(5);
            for (int m = 0; m < 5; m++) {
                assertThat(topIds.get(m).asInt()).isEqualTo(expected[m]);
                assertThat(topValues.get(m).asDouble()).isCloseTo(row[expected[m]], within(1e-4));
            }
            // the OpenAI-style map: token text -> log-prob, same values
            JsonNode byText = lp.get("top_logprobs").get(j);
            assertThat(byText.size()).isBetween(1, 5);
            assertThat(byText.properties().iterator().next().getValue().asDouble()).isCloseTo(row[expected[0]], within(1e-4));
        }
        assertThat(lp.get("tokens")).hasSize(generated.length);
        assertThat(lp.get("text_offset").get(0).asInt()).isEqualTo("a b c".length());
    }

    @Test
    void chatTopLogprobsAreTheModelsLogSoftmax() {
        JsonNode r = ok("/chat/completions", "{\"model\": \"tiny\", \"max_tokens\": 4, \"logprobs\": true, \"top_logprobs\": 3, "
                + "\"seed\": 5, \"messages\": [{\"role\": \"user\", \"content\": \"d e\"}]}");
        JsonNode content = r.get("choices").get(0).get("logprobs").get("content");
        long[] prompt = lm.encodePrompt(new ChatTemplate.Default().render(List.of(new ChatMessage("user", "d e"))));
        long[] generated = new long[content.size()];
        for (int j = 0; j < generated.length; j++) {
            generated[j] = content.get(j).get("id").asLong();
        }
        float[][] rows = logSoftmax(concat(prompt, generated));
        for (int j = 0; j < generated.length; j++) {
            float[] row = rows[prompt.length - 1 + j];
            JsonNode e = content.get(j);
            assertThat(e.get("logprob").asDouble()).isCloseTo(row[(int) generated[j]], within(1e-4));
            assertThat(e.get("token").isTextual()).isTrue();
            assertThat(e.get("bytes").isArray()).isTrue();
            int[] expected = topIds(row, 3);
            for (int m = 0; m < 3; m++) {
                assertThat(e.get("top_logprobs").get(m).get("id").asInt()).isEqualTo(expected[m]);
                assertThat(e.get("top_logprobs").get(m).get("logprob").asDouble()).isCloseTo(row[expected[m]], within(1e-4));
            }
        }
    }

    /** echo + logprobs + max_tokens 0 scores a text exactly as `distill score --text` does. */
    @Test
    void echoScoringEqualsDistillScore() {
        String text = "h e l l o w1 w2";
        JsonNode r = ok("/completions", "{\"model\": \"tiny\", \"prompt\": \"" + text + "\", \"echo\": true, "
                + "\"logprobs\": 3, \"max_tokens\": 0}");
        JsonNode c = r.get("choices").get(0);
        assertThat(c.get("text").asText()).isEqualTo(text);
        assertThat(c.get("finish_reason").asText()).isEqualTo("length");
        JsonNode lp = c.get("logprobs");
        long[] ids = lm.encodePrompt(text);
        assertThat(ids(lp.get("token_ids"))).containsExactly(ids);
        assertThat(lp.get("token_logprobs").get(0).isNull()).isTrue();
        assertThat(lp.get("top_logprobs").get(0).isNull()).isTrue();
        // score's split: the first token is context, every later one is predicted
        float[] expected = lm.scoreResponses(List.of(Arrays.copyOf(ids, 1)),
                List.of(Arrays.copyOfRange(ids, 1, ids.length)), 1).get(0);
        double nll = 0;
        for (int j = 1; j < ids.length; j++) {
            double got = lp.get("token_logprobs").get(j).asDouble();
            assertThat(got).as("token %d", j).isCloseTo(expected[j - 1], within(1e-5));
            assertThat(lp.get("top_token_ids").get(j)).hasSize(3);
            nll -= got;
        }
        StringWriter out = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                "score", "--model", dir.toString(), "--text", text);
        assertThat(code).isZero();
        Matcher m = Pattern.compile("nll_per_token=([0-9.]+) tokens=(\\d+)").matcher(out.toString());
        assertThat(m.find()).as(out.toString()).isTrue();
        assertThat(Integer.parseInt(m.group(2))).isEqualTo(ids.length - 1);
        assertThat(nll / (ids.length - 1)).isCloseTo(Double.parseDouble(m.group(1)), within(2e-6));
    }

    @Test
    void echoWithACompletionReturnsPromptThenGeneratedLogprobs() {
        JsonNode r = ok("/completions", "{\"model\": \"tiny\", \"prompt\": \"a b\", \"echo\": true, \"logprobs\": 0, "
                + "\"max_tokens\": 3, \"temperature\": 0}");
        JsonNode c = r.get("choices").get(0);
        assertThat(c.get("text").asText()).startsWith("a b");
        long[] all = ids(c.get("logprobs").get("token_ids"));
        long[] prompt = lm.encodePrompt("a b");
        assertThat(all.length).isGreaterThan(prompt.length);
        assertThat(Arrays.copyOf(all, prompt.length)).containsExactly(prompt);
        float[][] rows = logSoftmax(all);
        for (int j = 1; j < all.length; j++) {
            assertThat(c.get("logprobs").get("token_logprobs").get(j).asDouble()).isCloseTo(rows[j - 1][(int) all[j]], within(1e-4));
        }
    }
}
