package org.distill4j.openai;

import java.util.concurrent.TimeUnit;

/**
 * Spaces request starts evenly to at most R per minute across all client threads (each attempt,
 * retries included, takes a slot: retries count against a provider's limit too). R <= 0: no limit.
 */
final class RateLimiter {
    private final long intervalNanos;
    private long nextSlot = System.nanoTime();

    RateLimiter(double requestsPerMinute) {
        this.intervalNanos = requestsPerMinute <= 0 ? 0 : (long) (TimeUnit.MINUTES.toNanos(1) / requestsPerMinute);
    }

    void acquire() throws InterruptedException {
        if (intervalNanos == 0) {
            return;
        }
        long wait;
        synchronized (this) {
            long now = System.nanoTime();
            long slot = Math.max(now, nextSlot);
            nextSlot = slot + intervalNanos;
            wait = slot - now;
        }
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }
}
