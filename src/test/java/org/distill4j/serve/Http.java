package org.distill4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.util.Json;

/** A small blocking HTTP client for tests. */
public final class Http {
    public record Reply(int status, String body) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {}

    public static Reply post(URI uri, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b.build());
    }

    public static Reply get(URI uri, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b.build());
    }

    public static Reply send(HttpRequest r) {
        try {
            HttpResponse<String> resp = CLIENT.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Reply(resp.statusCode(), resp.body());
        } catch (IOException e) {
            throw new AssertionError("request to " + r.uri() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A streamed reply: the status, the content type, and the payload of every {@code data:} line in order. */
    public record Events(int status, String contentType, List<String> data) {
        public List<JsonNode> chunks() {
            List<JsonNode> out = new ArrayList<>();
            for (String d : data) {
                if (!d.equals("[DONE]")) {
                    try {
                        out.add(Json.MAPPER.readTree(d));
                    } catch (IOException e) {
                        throw new AssertionError("not JSON: " + d, e);
                    }
                }
            }
            return out;
        }
    }

    /** POSTs a streaming request and reads the event stream to its end. */
    public static Events stream(URI uri, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (headers.length > 0) {
            b.headers(headers);
        }
        try {
            HttpResponse<java.util.stream.Stream<String>> resp = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofLines());
            List<String> data = new ArrayList<>();
            resp.body().forEach(line -> {
                if (line.startsWith("data: ")) {
                    data.add(line.substring("data: ".length()));
                }
            });
            return new Events(resp.statusCode(), resp.headers().firstValue("Content-Type").orElse(""), data);
        } catch (IOException e) {
            throw new AssertionError("request to " + uri + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
