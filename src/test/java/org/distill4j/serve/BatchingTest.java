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

/** Concurrent requests share sampling batches; requests with different settings are grouped apart. */
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
    void concurrentRequestsShareSamplingBatches() throws Exception {
        long batchesBefore = server.stats().samplingBatches();
        long requestsBefore = server.stats().sampledRequests();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            bodies.add("{\"model\": \"tiny\", \"prompt\": \"p " + (char) ('a' + i) + "\", \"max_tokens\": 6, \"n\": 2}");
        }
        assertThat(fire(bodies)).containsOnly(200);
        long batches = server.stats().samplingBatches() - batchesBefore;
        assertThat(server.stats().sampledRequests() - requestsBefore).isEqualTo(24);
        assertThat(batches).isLessThan(24).isPositive();
        System.out.println("batching: 24 concurrent requests in " + batches + " sampling batches");
    }

    @Test
    void differentSettingsAreGroupedApart() throws Exception {
        long batchesBefore = server.stats().samplingBatches();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String temperature = i % 2 == 0 ? "0" : "0.7";
            bodies.add("{\"model\": \"tiny\", \"prompt\": \"g " + (char) ('a' + i) + "\", \"max_tokens\": 4, \"temperature\": " + temperature + "}");
        }
        assertThat(fire(bodies)).containsOnly(200);
        long batches = server.stats().samplingBatches() - batchesBefore;
        assertThat(batches).isGreaterThanOrEqualTo(2).isLessThan(16);
    }
}
