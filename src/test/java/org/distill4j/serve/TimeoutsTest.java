package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and idle clients cannot hold the server: headers and bodies have deadlines, idle connections close,
 * and the number of open connections is bounded. Raw sockets, because HTTP clients do not misbehave.
 */
@Timeout(60)
class TimeoutsTest {
    static final long HEADER_MS = 500;
    static final long BODY_MS = 500;
    static final long IDLE_MS = 2000;

    @TempDir
    static Path tmp;
    static TinyServer tiny;

    @BeforeAll
    static void start() throws Exception {
        tiny = TinyServer.start(tmp.resolve("tiny"),
                c -> c.withLimits(new ServeConfig.Limits(HEADER_MS, BODY_MS, IDLE_MS, 64, 1024)));
    }

    @AfterAll
    static void stop() {
        tiny.close();
    }

    static Socket connect(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(100);
        return s;
    }

    static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    /** Reads what arrives until the server closes the connection; the seconds that took. */
    record Closed(String received, double seconds) {}

    static Closed readUntilClosed(Socket s, double limitSeconds, boolean trickle) throws IOException {
        long start = System.nanoTime();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        while ((System.nanoTime() - start) / 1e9 < limitSeconds) {
            try {
                if (trickle) {
                    send(s, "x"); // a slowloris: one more byte of a header line every 100 ms
                }
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                got.write(buf, 0, n);
            } catch (SocketTimeoutException e) {
                // nothing yet
            } catch (IOException e) {
                break; // reset: closed as well
            }
        }
        return new Closed(got.toString(StandardCharsets.UTF_8), (System.nanoTime() - start) / 1e9);
    }

    @Test
    void headersThatTrickleInAreCutOff() throws IOException {
        try (Socket s = connect(tiny.port())) {
            send(s, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
            Closed c = readUntilClosed(s, 10, true);
            assertThat(c.seconds()).as("closed after the header timeout").isBetween(HEADER_MS / 1000.0 * 0.8, 3.0);
            assertThat(c.received()).isEmpty(); // no response is possible before the headers end
        }
    }

    @Test
    void aSilentNewConnectionIsIdleAndClosedAfterTheIdleTimeout() throws IOException {
        try (Socket s = connect(tiny.port())) {
            Closed c = readUntilClosed(s, 10, false);
            assertThat(c.seconds()).isBetween(IDLE_MS / 1000.0 * 0.8, IDLE_MS / 1000.0 + 2);
        }
    }

    @Test
    void aBodyShorterThanItsContentLengthGets408() throws IOException {
        try (Socket s = connect(tiny.port())) {
            send(s, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"model\": \"tiny\"");
            Closed c = readUntilClosed(s, 10, false);
            assertThat(c.received()).startsWith("HTTP/1.1 408");
            assertThat(c.received()).contains("\"code\":\"request_timeout\"", "\"type\":\"invalid_request_error\"");
            assertThat(c.seconds()).isBetween(BODY_MS / 1000.0 * 0.8, 3.0);
        }
    }

    @Test
    void anIdleKeepAliveConnectionLastsUntilTheIdleTimeout() throws IOException, InterruptedException {
        try (Socket s = connect(tiny.port())) {
            send(s, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            Thread.sleep(300);
            byte[] buf = new byte[4096];
            int n = s.getInputStream().read(buf);
            assertThat(new String(buf, 0, n, StandardCharsets.UTF_8)).startsWith("HTTP/1.1 200");
            Closed c = readUntilClosed(s, 10, false);
            // idle between requests is not a slow request: the idle timeout applies, not the header timeout
            assertThat(c.seconds()).isBetween(IDLE_MS / 1000.0 * 0.8, IDLE_MS / 1000.0 + 2);
        }
    }

    @Test
    void malformedHttpGetsAnOpenAiErrorObject() throws IOException {
        try (Socket s = connect(tiny.port())) {
            send(s, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n");
            Closed c = readUntilClosed(s, 5, false);
            assertThat(c.received()).startsWith("HTTP/1.1 400").contains("{\"error\":{\"message\":");
        }
    }

    @Test
    void openConnectionsAreBounded() throws Exception {
        int limit = 3;
        try (TinyServer small = TinyServer.start(tmp.resolve("small"),
                c -> c.withLimits(new ServeConfig.Limits(20_000, 20_000, 20_000, limit, 1024)))) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < limit; i++) {
                    held.add(connect(small.port()));
                }
                Thread.sleep(300); // the server has accepted them
                try (Socket extra = connect(small.port())) {
                    send(extra, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
                    Closed waiting = readUntilClosed(extra, 1.0, false);
                    assertThat(waiting.received()).as("not accepted while %d are open", limit).isEmpty();
                    held.remove(0).close();
                    Closed served = readUntilClosed(extra, 10, false);
                    assertThat(served.received()).startsWith("HTTP/1.1 200");
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }
}
