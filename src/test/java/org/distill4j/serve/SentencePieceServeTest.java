package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's text on a SentencePiece (Llama-2 pipeline) tokenizer, whole and streamed: a continuation keeps the
 * space its first token carries ("…happy frog who", not "…happy frogwho"), and every top_logprobs list holds its
 * own token's string. A random tiny Llama over the fixture's 516-token vocabulary generates.
 */
class SentencePieceServeTest {
    static final String PROMPT = "Once upon a time there was a happy frog";

    @TempDir
    static Path tmp;
    static LanguageModel lm;
    static OpenAiServer server;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("sp"));
        try (NDManager m = NDManager.newBaseManager()) {
            Transformer t = Transformer.random(ModelConfig.llama(516, 16, 32, 1, 2, 1, 64, true, 1, 2, -1), m, 7);
            Checkpoint.save(dir, t, Safetensors.DType.F32,
                    Map.of(Checkpoint.TOKENIZER, Fixtures.path("tokenizers/sp_llama2/tokenizer.json")));
        }
        lm = LanguageModel.load(dir);
        server = OpenAiServer.start(lm, ServeConfig.loopback("sp"), new ChatTemplate.Default());
    }

    @AfterAll
    static void stop() {
        server.close();
        lm.close();
    }

    @Test
    void echoedTextKeepsTheSpaceAndTopKeysHoldTheirToken() {
        long[] prompt = lm.encodePrompt(PROMPT);
        int spaced = 0;
        for (int seed = 0; seed < 6; seed++) {
            JsonNode c = Http.post(server.baseUri().resolve("v1/completions"), "{\"model\": \"sp\", \"prompt\": \"" + PROMPT
                    + "\", \"max_tokens\": 5, \"echo\": true, \"logprobs\": 3, \"seed\": " + seed + "}").json().get("choices").get(0);
            JsonNode ids = c.get("logprobs").get("token_ids");
            long[] generated = new long[ids.size() - prompt.length];
            for (int j = 0; j < generated.length; j++) {
                generated[j] = ids.get(prompt.length + j).asLong();
            }
            String continuation = lm.tokenizer().decodeAfter(prompt, generated);
            assertThat(c.get("text").asText()).isEqualTo(PROMPT + continuation);
            if (continuation.startsWith(" ")) {
                spaced++;
                assertThat(lm.tokenizer().decode(generated)).isEqualTo(continuation.substring(1)); // what alone would give
            }
            assertKeysAreTheTokensAtTheirPosition(c.get("logprobs"), ids);
        }
        assertThat(spaced).as("samples whose first token starts a word").isPositive();
    }

    @Test
    void aGreedyTokenIsAmongItsOwnTopKeys() {
        JsonNode lp = Http.post(server.baseUri().resolve("v1/completions"), "{\"model\": \"sp\", \"prompt\": \"" + PROMPT
                + "\", \"max_tokens\": 6, \"temperature\": 0, \"logprobs\": 3}").json().get("choices").get(0).get("logprobs");
        for (int j = 0; j < lp.get("tokens").size(); j++) {
            assertThat(lp.get("top_logprobs").get(j).has(lp.get("tokens").get(j).asText())).as("position %d", j).isTrue();
        }
    }

    /**
     * Every top key is the text of its id at that position (decoded after the same tokens), so where the chosen
     * id is listed its string is a key (a sampled or prompt token need not be among the top k).
     */
    private static void assertKeysAreTheTokensAtTheirPosition(JsonNode lp, JsonNode ids) {
        long[] seq = new long[ids.size()];
        for (int j = 0; j < seq.length; j++) {
            seq[j] = ids.get(j).asLong();
        }
        for (int j = 1; j < seq.length; j++) {
            JsonNode topIds = lp.get("top_token_ids").get(j);
            for (JsonNode id : topIds) {
                String text = lm.tokenizer().decodeAfter(java.util.Arrays.copyOf(seq, j), new long[] {id.asLong()}, false);
                assertThat(lp.get("top_logprobs").get(j).has(text)).as("position %d, id %d: '%s'", j, id.asLong(), text).isTrue();
                if (id.asLong() == seq[j]) {
                    assertThat(text).isEqualTo(lp.get("tokens").get(j).asText());
                }
            }
        }
    }

    @Test
    void streamedChunksAddUpToTheSameTextWithTheirTokensAmongTheTopKeys() {
        for (boolean chat : new boolean[] {false, true}) {
            String body = chat
                    ? "{\"model\": \"sp\", \"messages\": [{\"role\": \"user\", \"content\": \"frog\"}], \"max_tokens\": 6, \"temperature\": 0, \"logprobs\": true, \"top_logprobs\": 3"
                    : "{\"model\": \"sp\", \"prompt\": \"" + PROMPT + "\", \"max_tokens\": 6, \"temperature\": 0, \"logprobs\": 3";
            JsonNode whole = Http.post(server.baseUri().resolve(chat ? "v1/chat/completions" : "v1/completions"), body + "}").json()
                    .get("choices").get(0);
            StringBuilder text = new StringBuilder();
            for (JsonNode chunk : Http.stream(server.baseUri().resolve(chat ? "v1/chat/completions" : "v1/completions"),
                    body + ", \"stream\": true}").chunks()) {
                JsonNode choice = chunk.get("choices").get(0);
                JsonNode lp = choice.get("logprobs");
                if (chat) {
                    text.append(choice.path("delta").path("content").asText(""));
                    if (lp != null && !lp.isNull()) {
                        for (JsonNode e : lp.get("content")) { // greedy: the token is its own top-1
                            assertThat(e.get("top_logprobs").get(0).get("token").asText()).isEqualTo(e.get("token").asText());
                        }
                    }
                } else {
                    text.append(choice.get("text").asText());
                    if (lp != null && !lp.isNull()) { // greedy: the token is its own top-1
                        assertThat(lp.get("top_logprobs").get(0).has(lp.get("tokens").get(0).asText())).isTrue();
                    }
                }
            }
            assertThat(text.toString()).isEqualTo(chat ? whole.get("message").get("content").asText() : whole.get("text").asText());
        }
    }
}
