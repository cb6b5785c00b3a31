package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A client that disconnects stops its generation: the model decodes no further step for it. */
@Timeout(60)
class CancellationTest {
    /** 128 samples of up to 60 tokens through 4 rows at a time: thousands of steps, seconds of work. */
    static final String LONG = "{\"model\": \"tiny\", \"prompt\": \"a\", \"n\": 128, \"max_tokens\": 60, \"seed\": 1%s}";

    @TempDir
    static Path tmp;
    static TinyServer tiny;

    @BeforeAll
    static void start() throws Exception {
        tiny = TinyServer.start(tmp.resolve("tiny"), c -> c.withMaxBatch(4));
    }

    @AfterAll
    static void stop() {
        tiny.close();
    }

    static Socket post(String body) throws IOException {
        Socket s = new Socket("127.0.0.1", tiny.port());
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().write(bytes);
        s.getOutputStream().flush();
        return s;
    }

    /** Waits until the scheduler has counted one more cancelled request and has stopped decoding. */
    static void assertGenerationStops(long cancelledBefore, long rowsBefore) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (tiny.server.stats().cancelledRequests() == cancelledBefore && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(tiny.server.stats().cancelledRequests()).isEqualTo(cancelledBefore + 1);
        long steps = tiny.server.stats().decodingSteps();
        Thread.sleep(300);
        assertThat(tiny.server.stats().decodingSteps()).as("no step after the cancellation").isEqualTo(steps);
        // far fewer tokens than the 128 x 60 the request asked for
        assertThat(tiny.server.stats().decodedRows() - rowsBefore).isLessThan(128 * 60 / 2);
    }

    @Test
    void aStreamingClientThatDisconnectsStopsItsGeneration() throws Exception {
        long cancelled = tiny.server.stats().cancelledRequests();
        long rowsBefore = tiny.server.stats().decodedRows();
        try (Socket s = post(String.format(LONG, ", \"stream\": true"))) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.startsWith("data: ")) {
                // the status line and headers
            }
            assertThat(line).startsWith("data: {");
        } // closed after the first chunk
        assertGenerationStops(cancelled, rowsBefore);
        System.out.println("cancelled stream: " + (tiny.server.stats().decodedRows() - rowsBefore) + " tokens decoded");
    }

    @Test
    void aClientThatDisconnectsWhileWaitingForAWholeResponseStopsItsGeneration() throws Exception {
        long cancelled = tiny.server.stats().cancelledRequests();
        long steps = tiny.server.stats().decodingSteps();
        long rowsBefore = tiny.server.stats().decodedRows();
        try (Socket s = post(String.format(LONG, ""))) {
            while (tiny.server.stats().decodingSteps() < steps + 5 && !s.isClosed()) {
                Thread.sleep(5);
            }
        } // closed mid-generation, before any byte of the response
        assertGenerationStops(cancelled, rowsBefore);
    }
}
