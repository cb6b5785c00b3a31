package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short request does not wait for a long one: rows join the running batch at the next step. With 8
 * places and a request of 64 samples x 60 tokens running, a 2-token request finishes while the long one
 * is still decoding, in a small fraction of its time.
 */
@Timeout(120)
@Tag("slow")
class FairnessTest {
    @TempDir
    Path tmp;

    @Test
    void aShortRequestOvertakesALongOne() throws Exception {
        try (TinyServer tiny = TinyServer.start(tmp.resolve("tiny"), c -> c.withMaxBatch(8));
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpRequest longRequest = HttpRequest.newBuilder(tiny.uri("/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"tiny\", \"prompt\": \"a\", \"n\": 64, "
                            + "\"max_tokens\": 60, \"seed\": 3, \"stream\": true}")).build();
            long longStart = System.nanoTime();
            HttpResponse<Stream<String>> stream = client.send(longRequest, HttpResponse.BodyHandlers.ofLines());
            Iterator<String> lines = stream.body().iterator();
            while (!lines.next().startsWith("data: ")) {
                // until the long request's first token
            }
            CompletableFuture<Double> longDone = CompletableFuture.supplyAsync(() -> {
                while (lines.hasNext()) {
                    lines.next();
                }
                return (System.nanoTime() - longStart) / 1e9;
            });

            long shortStart = System.nanoTime();
            Http.Reply shortReply = Http.post(tiny.uri("/completions"),
                    "{\"model\": \"tiny\", \"prompt\": \"b c\", \"max_tokens\": 2}");
            double shortSeconds = (System.nanoTime() - shortStart) / 1e9;
            boolean longStillRunning = !longDone.isDone();
            double longSeconds = longDone.get();

            assertThat(shortReply.status()).isEqualTo(200);
            assertThat(longStillRunning).as("the short request finished while the long one decoded").isTrue();
            assertThat(shortSeconds).isLessThan(longSeconds / 4);
            System.out.printf("fairness: a 2-token request took %.3f s beside a 64 x 60-token request of %.3f s%n",
                    shortSeconds, longSeconds);
        }
    }
}
