package org.distill4j.serve;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;

/**
 * Bounds the time a connection may take to deliver a request's headers (slowloris). Jetty's idle
 * timeout alone does not: a client that sends a byte every few seconds is never idle. Every open
 * connection is tracked; a sweep a few times a second closes one that has received bytes of a request
 * that has not reached the handler within the header timeout of the first of them. Connections that are
 * merely idle (no bytes of a new request) are left to the idle timeout, and a request being handled is the
 * handler's business (its body has a timeout of its own).
 */
final class ConnectionGuard implements Connection.Listener, AutoCloseable {
    private static final long SWEEP_MILLIS = 200;

    /** Per connection: bytes read when it was last between requests, and since when new bytes wait. */
    private static final class State {
        volatile boolean handling;
        volatile long idleBytes;
        volatile long pendingSince = -1;
    }

    private final Map<Connection, State> open = new ConcurrentHashMap<>();
    private final long headerTimeoutNanos;
    private final ScheduledExecutorService sweeper;

    ConnectionGuard(long headerTimeoutMillis) {
        this.headerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(headerTimeoutMillis);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("distill-serve-connection-guard").unstarted(r));
        sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    int openConnections() {
        return open.size();
    }

    @Override
    public void onOpened(Connection connection) {
        // the clock starts at a request's first byte, not at the opening: a silent connection is idle (the idle
        // timeout's business), and an overloaded server that has not read a waiting request yet must not count
        // that against the client (measured: with 1,000 clients at once on 2 busy cores, a clock from the
        // opening closed 26 connections whose requests were on their way)
        open.put(connection, new State());
    }

    @Override
    public void onClosed(Connection connection) {
        open.remove(connection);
    }

    /** The handler has the request: its headers are complete. */
    void handling(Connection connection) {
        State s = open.get(connection);
        if (s != null) {
            s.handling = true;
        }
    }

    /** The response is done; bytes from now on belong to the next request. */
    void handled(Connection connection) {
        State s = open.get(connection);
        if (s != null) {
            s.idleBytes = connection.getBytesIn();
            s.pendingSince = -1;
            s.handling = false;
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Map.Entry<Connection, State> e : open.entrySet()) {
            State s = e.getValue();
            if (s.handling) {
                continue;
            }
            if (s.pendingSince < 0 && e.getKey().getBytesIn() > s.idleBytes) {
                s.pendingSince = now; // part of a new request has come in
            }
            if (s.pendingSince >= 0 && now - s.pendingSince > headerTimeoutNanos) {
                // no response is possible: the request line or headers are incomplete (closing the connection instead
                // of its end point would make Jetty answer a 500 for the request it was parsing)
                e.getKey().getEndPoint().close();
                open.remove(e.getKey());
            }
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
