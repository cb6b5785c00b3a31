package org.distill4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.distill4j.serve.TinyModel;
import org.distill4j.util.Json;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The load bench, small: a served child JVM, concurrent clients of every kind, and its report. */
@Timeout(300)
@Tag("slow")
class ServeBenchTest {
    @TempDir
    Path tmp;

    @Test
    void reportsEveryClientAndNoErrors() throws Exception {
        Path model = TinyModel.write(tmp.resolve("tiny"));
        try (ServeBench.Child server = ServeBench.startServer(model, List.of("--max-batch", "16"))) {
            assertThat(server.base().getHost()).isEqualTo("127.0.0.1");
            var load = new ServeBench.Load(60, 0.4, 0.2, List.of(2, 6), 4, 7, Duration.ofSeconds(120));
            JsonNode r = Json.MAPPER.readTree(ServeBench.run(server, load));
            assertThat(r.get("clients").asInt()).isEqualTo(60);
            assertThat(r.get("errors").asInt()).as(r.toString()).isZero();
            assertThat(r.get("completed").asInt() + r.get("cancelled_by_clients").asInt()).isEqualTo(60);
            assertThat(r.get("streamed").asInt()).isPositive();
            assertThat(r.get("ttft_p50_s").asDouble()).isPositive().isLessThanOrEqualTo(r.get("ttft_p99_s").asDouble());
            assertThat(r.get("latency_p50_s").asDouble()).isLessThanOrEqualTo(r.get("latency_p99_s").asDouble());
            assertThat(r.get("generated_tokens").asLong()).isGreaterThanOrEqualTo(r.get("decoding_steps").asLong());
            assertThat(r.get("server_rss_before_mb").asDouble()).isPositive();
            assertThat(r.get("server_rss_after_mb").asDouble()).isPositive();
        }
    }

    @Test
    void percentilesAreNearestRank() {
        double[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(ServeBench.pct(v, 50)).isEqualTo(5);
        assertThat(ServeBench.pct(v, 99)).isEqualTo(10);
        assertThat(ServeBench.pct(new double[] {3}, 50)).isEqualTo(3);
        assertThat(ServeBench.pct(new double[0], 50)).isNaN();
    }
}
