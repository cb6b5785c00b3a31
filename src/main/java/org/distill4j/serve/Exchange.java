package org.distill4j.serve;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.distill4j.util.Json;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Promise;

/**
 * One HTTP request and its response, written blocking (handlers run on virtual threads): the body read
 * under a size bound and a deadline, JSON responses, server-sent events, and a check whether the client
 * is still connected.
 */
final class Exchange {
    private final Request request;
    private final Response response;
    private OutputStream events;
    /** Set when a liveness probe consumed bytes of a pipelined next request: this connection must close after us. */
    private boolean mustClose;
    /** True while a write is under way (Jetty's idle timeout then means the client stopped reading). */
    private volatile boolean writing;

    Exchange(Request request, Response response) {
        this.request = request;
        this.response = response;
    }

    boolean writing() {
        return writing;
    }

    String method() {
        return request.getMethod();
    }

    String path() {
        return request.getHttpURI().getPath();
    }

    String header(String name) {
        return request.getHeaders().get(name);
    }

    void setHeader(String name, String value) {
        response.getHeaders().put(name, value);
    }

    /**
     * The request body: at most {@code max} bytes (413 beyond, whether or not a Content-Length says so),
     * arriving within {@code timeoutMs} (408 otherwise: a body shorter than its Content-Length never ends).
     */
    byte[] body(long max, long timeoutMs, ApiError tooLarge) {
        long declared = request.getLength();
        if (declared > max) {
            throw tooLarge;
        }
        // the bytes are copied out inside the callback: Jetty releases the pooled buffer when it returns
        CompletableFuture<byte[]> read = new CompletableFuture<>();
        Content.Source.asRetainableByteBuffer(request, request.getComponents().getByteBufferPool(), false,
                (int) Math.min(Integer.MAX_VALUE - 8, max), new Promise<>() {
                    @Override
                    public void succeeded(RetainableByteBuffer body) {
                        ByteBuffer content = body.getByteBuffer();
                        byte[] bytes = new byte[content.remaining()];
                        content.get(bytes);
                        read.complete(bytes);
                    }

                    @Override
                    public void failed(Throwable failure) {
                        read.completeExceptionally(failure);
                    }
                });
        try {
            return read.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            read.cancel(true);
            mustClose = true;
            throw new ApiError(408, "invalid_request_error", null, "request_timeout", "the request body did not arrive within "
                    + timeoutMs + " ms" + (declared >= 0 ? " (" + Request.getContentBytesRead(request) + " of " + declared
                    + " bytes came)" : ""));
        } catch (ExecutionException e) {
            if (Request.getContentBytesRead(request) > max) { // Jetty stopped at the bound ("Max size exceeded")
                mustClose = true;
                throw tooLarge;
            }
            throw ApiError.invalid(null, "invalid_body", "cannot read the request body: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "server_error", null, "shutting_down", "interrupted while reading the body");
        }
    }

    /** Writes a whole JSON (or other) response; a client that went away is not an error of ours. */
    int send(int status, Object body) {
        return send(status, "application/json", Json.bytes(body));
    }

    int send(int status, String contentType, byte[] bytes) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        if (mustClose) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        writing = true;
        try (OutputStream out = Content.Sink.asOutputStream(response)) {
            out.write(bytes);
        } catch (IOException e) {
            // the connection is gone; nothing to tell
        } finally {
            writing = false;
        }
        return status;
    }

    /** Starts a server-sent event stream (200, text/event-stream). */
    void startEvents() {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        if (mustClose) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        events = Content.Sink.asOutputStream(response);
    }

    /** One {@code data: ...} event, not yet flushed. */
    void event(String data) throws IOException {
        writing = true;
        try {
            events.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        } finally {
            writing = false;
        }
    }

    void flushEvents() throws IOException {
        writing = true;
        try {
            events.flush();
        } finally {
            writing = false;
        }
    }

    void endEvents() {
        try {
            events.close();
        } catch (IOException e) {
            // the connection is gone
        }
    }

    /**
     * Whether the client is still there, asked without blocking while a request waits for the model.
     * Nothing reads the connection then (the body is in), so a read that returns end-of-stream means the
     * client closed it. A client that pipelined its next request made bytes arrive instead: they are
     * consumed, so the connection is closed after this response and that client retries on a new one.
     */
    boolean clientGone() {
        if (mustClose) {
            return false; // bytes of a next request came: reading on would eat more of it
        }
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (!endPoint.isOpen()) {
            return true;
        }
        ByteBuffer probe = ByteBuffer.allocate(1);
        probe.flip(); // Jetty's fill appends after the limit
        try {
            int n = endPoint.fill(probe);
            if (n > 0) {
                mustClose = true;
            }
            return n < 0;
        } catch (IOException e) {
            return true;
        }
    }
}
