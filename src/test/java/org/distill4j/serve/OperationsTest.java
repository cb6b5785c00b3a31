package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /health, /metrics in Prometheus' text format, and the Bearer scheme matched case-insensitively. */
class OperationsTest {
    static final String KEY = "sk-ops";
    @TempDir
    static Path tmp;
    static TinyServer tiny;

    @BeforeAll
    static void start() throws Exception {
        tiny = TinyServer.start(tmp.resolve("tiny"), c -> c.withApiKey(KEY));
    }

    @AfterAll
    static void stop() {
        tiny.close();
    }

    static Http.Reply get(String path, String authorization) {
        return Http.get(tiny.root(path), "Authorization", authorization);
    }

    @Test
    void healthAnswersWithTheKey() {
        Http.Reply r = get("/health", "Bearer " + KEY);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("status").asText()).isEqualTo("ok");
        assertThat(Http.get(tiny.root("/health")).status()).isEqualTo(401);
    }

    @Test
    void theBearerSchemeIsCaseInsensitive() {
        for (String scheme : new String[] {"Bearer", "bearer", "BEARER", "bEaReR"}) {
            assertThat(get("/v1/models", scheme + " " + KEY).status()).as(scheme).isEqualTo(200);
        }
        assertThat(get("/v1/models", "Bearer " + KEY.toUpperCase()).status()).as("the key itself is not").isEqualTo(401);
        assertThat(get("/v1/models", "Basic " + KEY).status()).isEqualTo(401);
        assertThat(get("/v1/models", "Bearer").status()).isEqualTo(401);
        Http.Reply wrong = get("/v1/models", "bearer nope");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.json().get("error").get("code").asText()).isEqualTo("invalid_api_key");
    }

    @Test
    void metricsCountRequestsTokensAndLatencies() throws Exception {
        Http.Reply done = Http.post(tiny.uri("/completions"), "{\"model\": \"tiny\", \"prompt\": \"a b\", \"max_tokens\": 3, "
                + "\"temperature\": 0}", "Authorization", "Bearer " + KEY);
        assertThat(done.status()).isEqualTo(200);
        Http.post(tiny.uri("/completions"), "{\"model\": \"other\", \"prompt\": \"a\"}", "Authorization", "Bearer " + KEY);
        long generated = done.json().get("usage").get("completion_tokens").asLong();

        HttpResponse<String> r;
        try (HttpClient client = HttpClient.newHttpClient()) {
            r = client.send(HttpRequest.newBuilder(URI.create(tiny.root("/metrics").toString()))
                    .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString());
        }
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        String text = r.body();
        // every sample line is "name{labels} value"; every series has HELP and TYPE
        Pattern sample = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*})? [-+0-9.eENa]+");
        for (String line : text.split("\n")) {
            if (!line.startsWith("#")) {
                assertThat(line).matches(sample);
            }
        }
        assertThat(text).contains("distill_requests_total{endpoint=\"/v1/completions\",status=\"200\"} 1\n",
                "distill_requests_total{endpoint=\"/v1/completions\",status=\"404\"} 1\n",
                "distill_generation_tokens_total " + generated + "\n",
                "# TYPE distill_time_to_first_token_seconds histogram", "distill_time_to_first_token_seconds_count 1\n",
                "# TYPE distill_request_latency_seconds histogram", "distill_request_latency_seconds_bucket{le=\"+Inf\"} 1\n",
                "# TYPE distill_waiting_rows gauge", "# TYPE distill_running_rows gauge", "# TYPE distill_open_connections gauge");
        assertThat(value(text, "distill_prompt_tokens_total")).isPositive();
        // buckets are cumulative
        Matcher m = Pattern.compile("distill_request_latency_seconds_bucket\\{le=\"[^+]*\"} (\\d+)").matcher(text);
        long previous = 0;
        while (m.find()) {
            long count = Long.parseLong(m.group(1));
            assertThat(count).isGreaterThanOrEqualTo(previous);
            previous = count;
        }
        assertThat(previous).isEqualTo(1);
    }

    private static double value(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(text);
        assertThat(m.find()).as(name).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
