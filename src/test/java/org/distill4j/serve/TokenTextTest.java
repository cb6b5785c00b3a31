package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.distill4j.generate.Sample;
import org.distill4j.generate.TopLogprobs;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.Tokenizer;
import org.distill4j.util.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Response text and log-prob token strings on SentencePiece and byte-level tokenizers, real ones (GPT-2, Llama-2,
 * Llama-3) included (fixtures/tokenizers):
 * with echo the continuation keeps its leading space ("…happy frog who lived", not "frogwho lived"), the token
 * strings concatenate to the text, and every top_logprobs map has the chosen token's own string among its keys
 * (lm-eval-harness' is_greedy compares exactly these).
 */
class TokenTextTest {
    @ParameterizedTest
    @ValueSource(strings = {"sp_llama2", "sp_metaspace", "byte_level", "real/gpt2", "real/llama2", "real/llama3"})
    void echoedCompletionsKeepTheSpaceAndTopKeysMatchTheTokens(String name) throws Exception {
        JsonNode c = Json.read(Fixtures.path("tokenizers/" + name + "/expected.json")).get("continuations").get(0);
        try (Tokenizer tok = Tokenizer.load(Fixtures.path("tokenizers/" + name + "/tokenizer.json"))) {
            long[] prompt = ids(c.get("prompt_ids"));
            long[] generated = ids(c.get("generated_ids"));
            String promptText = c.get("prompt").asText();
            ResponseBuilder rb = new ResponseBuilder("m", new TokenText(tok));
            GenerationRequest r = request(false, List.of(prompt), List.of(promptText), 1,
                    new SamplingKey(0, 0, 1, generated.length, List.of(), Set.of()), new long[] {1}, 3, true);
            // the greedy token is listed first, then two others
            List<TopLogprobs> top = new ArrayList<>();
            for (long id : generated) {
                top.add(new TopLogprobs(new long[] {id, 5, 7}, new float[] {-0.1f, -2f, -3f}));
            }
            Sample s = new Sample(0, 0, generated, new float[generated.length], tok.decodeAfter(prompt, generated),
                    Sample.Finish.LENGTH, top);
            TopLogprobs[] promptTop = new TopLogprobs[prompt.length];
            for (int j = 1; j < prompt.length; j++) {
                promptTop[j] = new TopLogprobs(new long[] {prompt[j], 5}, new float[] {-0.5f, -1f});
            }
            float[] promptLogprobs = new float[prompt.length];
            promptLogprobs[0] = Float.NaN;
            ObjectNode out = rb.completion(r, new GenerationResult(List.of(s), List.of(new PromptScores(prompt, promptLogprobs, promptTop))));

            JsonNode choice = out.get("choices").get(0);
            assertThat(choice.get("text").asText()).isEqualTo(promptText + c.get("text").asText());
            JsonNode lp = choice.get("logprobs");
            StringBuilder joined = new StringBuilder();
            for (int j = 0; j < lp.get("tokens").size(); j++) {
                String token = lp.get("tokens").get(j).asText();
                joined.append(token);
                if (!lp.get("top_logprobs").get(j).isNull()) {
                    assertThat(lp.get("top_logprobs").get(j).has(token)).as("position %d, token %s", j, token).isTrue();
                }
            }
            // the special tokens (BOS) are written out in the token strings, not in the text
            assertThat(joined.toString()).endsWith(promptText.substring(promptText.length() - 4) + c.get("text").asText());

            GenerationRequest chat = request(true, List.of(prompt), List.of(promptText), 1,
                    new SamplingKey(0, 0, 1, generated.length, List.of(), Set.of()), new long[] {1}, 3, false);
            JsonNode content = rb.chat(chat, new GenerationResult(List.of(s), null)).get("choices").get(0).get("logprobs").get("content");
            for (JsonNode e : content) {
                assertThat(e.get("top_logprobs").get(0).get("token").asText()).isEqualTo(e.get("token").asText());
            }
            assertThat(content.get(0).get("token").asText()).startsWith(" ");
        }
    }

    /**
     * A request from its first fields; any later record components (streaming flags the server may add) are false
     * or null, so this test needs no change when the request grows.
     */
    private static GenerationRequest request(Object... fields) throws Exception {
        var components = GenerationRequest.class.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            args[i] = i < fields.length ? fields[i] : types[i] == boolean.class ? Boolean.FALSE : null;
        }
        var constructor = GenerationRequest.class.getDeclaredConstructor(types);
        constructor.setAccessible(true);
        return constructor.newInstance(args);
    }

    private static long[] ids(JsonNode a) {
        return Arrays.stream(Json.MAPPER.convertValue(a, long[].class)).toArray();
    }
}
