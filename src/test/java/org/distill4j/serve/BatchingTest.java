package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.distill4j.lm.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Concurrent requests share decoding steps, whatever their sampling settings. */
class BatchingTest {
    @TempDir
    static Path tmp;
    static LanguageModel lm;
    static OpenAiServer server;

    @BeforeAll
    static void start() throws Exception {
        lm = LanguageModel.load(TinyModel.write(tmp.resolve("tiny")));
        server = OpenAiServer.start(lm, ServeConfig.loopback("tiny").withBatchWindowMs(25), new ChatTemplate.Default());
    }

    @AfterAll
    static void stop() {
        server.close();
        lm.close();
    }

    /** Fires all bodies at once and returns the statuses. */
    static List<Integer> fire(List<String> bodies) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Http.Reply>> replies = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String b : bodies) {
                replies.add(pool.submit(() -> {
                    go.await();
                    return Http.post(URI.create(server.baseUri() + "/completions"), b);
                }));
            }
            go.countDown();
        }
        List<Integer> statuses = new ArrayList<>();
        for (Future<Http.Reply> f : replies) {
            statuses.add(f.get().status());
        }
        return statuses;
    }

    @Test
    void concurrentRequestsShareDecodingSteps() throws Exception {
        long stepsBefore = server.stats().decodingSteps();
        long rowsBefore = server.stats().decodedRows();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            bodies.add("{\"model\": \"tiny\", \"prompt\": \"p " + (char) ('a' + i) + "\", \"max_tokens\": 6, \"n\": 2}");
        }
        assertThat(fire(bodies)).containsOnly(200);
        long steps = server.stats().decodingSteps() - stepsBefore;
        long rows = server.stats().decodedRows() - rowsBefore;
        assertThat(rows).isBetween(24L, 24L * 2 * 6); // a row stops early on the end id
        assertThat(steps).isPositive().isLessThan(rows / 4);
        System.out.println("step scheduling: 24 concurrent requests, " + rows + " tokens in " + steps + " decoding steps");
    }

    @Test
    void differentSettingsShareSteps() throws Exception {
        long stepsBefore = server.stats().decodingSteps();
        long rowsBefore = server.stats().decodedRows();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String sampling = switch (i % 4) {
                case 0 -> "\"temperature\": 0";
                case 1 -> "\"temperature\": 0.7";
                case 2 -> "\"top_k\": 5";
                default -> "\"top_p\": 0.8, \"stop\": [\"w1\"]";
            };
            bodies.add("{\"model\": \"tiny\", \"prompt\": \"g " + (char) ('a' + i) + "\", \"max_tokens\": 4, " + sampling + "}");
        }
        assertThat(fire(bodies)).containsOnly(200);
        long steps = server.stats().decodingSteps() - stepsBefore;
        long rows = server.stats().decodedRows() - rowsBefore;
        assertThat(steps).isLessThan(rows / 2);
    }
}
