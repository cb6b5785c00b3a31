package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.distill4j.lm.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets an OpenAI error object and the right status; the server keeps serving. */
class ValidationTest {
    static final String KEY = "sk-test-123";
    static final String AUTH = "Bearer " + KEY;
    static final long MAX_BODY = 2048;

    @TempDir
    static Path tmp;
    static LanguageModel lm;
    static OpenAiServer server;

    @BeforeAll
    static void start() throws Exception {
        lm = LanguageModel.load(TinyModel.write(tmp.resolve("tiny")));
        server = OpenAiServer.start(lm, ServeConfig.loopback("tiny").withApiKey(KEY).withMaxBodyBytes(MAX_BODY),
                new ChatTemplate.Default());
    }

    @AfterAll
    static void stop() {
        server.close();
        lm.close();
    }

    /** After every bad request, a good one still works. */
    @AfterEach
    void stillServing() {
        Http.Reply r = Http.post(uri("/completions"), "{\"model\": \"tiny\", \"prompt\": \"a b\", \"max_tokens\": 2}",
                "Authorization", AUTH);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    static URI uri(String path) {
        return URI.create(server.baseUri() + path);
    }

    static String longPrompt(int words) {
        return "a ".repeat(words).trim();
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                // path, body, status, param, code
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": ", 400, null, "invalid_json"),
                Arguments.of("/completions", "{} {}", 400, null, "invalid_json"),
                Arguments.of("/completions", "[1, 2]", 400, null, "invalid_json"),
                Arguments.of("/completions", "", 400, null, "invalid_json"),
                Arguments.of("/completions", "{\"prompt\": \"a\"}", 400, "model", "missing_required_parameter"),
                Arguments.of("/completions", "{\"model\": \"gpt-9\", \"prompt\": \"a\"}", 404, "model", "model_not_found"),
                Arguments.of("/completions", "{\"model\": \"tiny\"}", 400, "prompt", "missing_required_parameter"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": 7}", 400, "prompt", "invalid_type"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": []}", 400, "prompt", "invalid_value"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": [1, 999]}", 400, "prompt", "invalid_value"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"temperature\": \"hot\"}", 400, "temperature", "invalid_type"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"temperature\": 3}", 400, "temperature", "invalid_value"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"n\": \"4\"}", 400, "n", "invalid_type"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"n\": 1.5}", 400, "n", "invalid_type"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"n\": 0}", 400, "n", "invalid_value"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"n\": 100000}", 400, "n", "invalid_value"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": -1}", 400, "max_tokens", "invalid_value"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": 100000}", 400, "max_tokens", "invalid_value"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": 0}", 400, "max_tokens", "invalid_value"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": 63}", 400, "max_tokens", "context_length_exceeded"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"" + longPrompt(70) + "\"}", 400, "prompt", "context_length_exceeded"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"logprobs\": 50}", 400, "logprobs", "invalid_value"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"stop\": [1]}", 400, "stop", "invalid_type"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"stream\": true, \"echo\": true}", 400, "echo", "unsupported_parameter"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"stream\": \"yes\"}", 400, "stream", "invalid_type"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"stream_options\": {\"include_usage\": true}}", 400, "stream_options", "invalid_value"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"a\", \"seed\": \"x\"}", 400, "seed", "invalid_type"),
                Arguments.of("/chat/completions", "{\"model\": \"tiny\", \"messages\": \"hi\"}", 400, "messages", "invalid_type"),
                Arguments.of("/chat/completions", "{\"model\": \"tiny\", \"messages\": []}", 400, "messages", "invalid_value"),
                Arguments.of("/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"wizard\", \"content\": \"a\"}]}", 400, "messages[0].role", "invalid_value"),
                Arguments.of("/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\"}]}", 400, "messages[0].content", "invalid_type"),
                Arguments.of("/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"top_logprobs\": 2}", 400, "top_logprobs", "invalid_value"),
                Arguments.of("/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"" + longPrompt(70) + "\"}]}", 400, "messages", "context_length_exceeded"),
                Arguments.of("/completions", "{\"model\": \"tiny\", \"prompt\": \"" + longPrompt(1100) + "\"}", 413, null, "request_too_large"),
                Arguments.of("/embeddings", "{}", 404, null, "not_found"));
    }

    @ParameterizedTest(name = "{0} {2} {4}: {1}")
    @MethodSource("badRequests")
    void refusedWithAnOpenAiError(String path, String body, int status, String param, String code) {
        Http.Reply r = Http.post(uri(path), body, "Authorization", AUTH);
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode e = r.json().get("error");
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.get("message").asText()).isNotBlank();
        assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(e.has("param")).isTrue();
        assertThat(e.get("param").isNull() ? null : e.get("param").asText()).isEqualTo(param);
        assertThat(e.get("code").asText()).isEqualTo(code);
    }

    @Test
    void aBodyOverTheLimitWithoutContentLengthIs413() {
        // a chunked upload declares no length: the limit must hold while reading
        byte[] big = ("{\"model\": \"tiny\", \"prompt\": \"" + longPrompt(1100) + "\"}").getBytes();
        HttpRequest req = HttpRequest.newBuilder(uri("/completions")).header("Authorization", AUTH)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))).build();
        Http.Reply r = Http.send(req);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("error").get("code").asText()).isEqualTo("request_too_large");
    }

    @Test
    void everyRequestNeedsTheKey() {
        String body = "{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": 1}";
        Http.Reply none = Http.post(uri("/completions"), body);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.json().get("error").get("code").asText()).isEqualTo("invalid_api_key");
        assertThat(Http.post(uri("/completions"), body, "Authorization", "Bearer wrong").status()).isEqualTo(401);
        assertThat(Http.get(uri("/models")).status()).isEqualTo(401);
        assertThat(Http.get(uri("/models"), "Authorization", AUTH).status()).isEqualTo(200);
    }

    @Test
    void wrongMethodIs405() {
        Http.Reply r = Http.get(uri("/completions"), "Authorization", AUTH);
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.json().get("error").get("code").asText()).isEqualTo("method_not_allowed");
    }

    @Test
    void errorsAreCounted() {
        Http.post(uri("/completions"), "{", "Authorization", AUTH);
        assertThat(server.stats().clientErrors()).isPositive();
        assertThat(server.stats().serverErrors()).isZero();
    }
}
