package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.distill4j.util.LiveArrays;

/**
 * Runs the frozen teacher's forward pass for the next micro-batch on a thread of its own while the
 * student trains on the current one, when the batches are known ahead (offline data).
 *
 * <p>Why: on a few cores PyTorch's intra-op parallelism is far from linear (on 2 cores the teacher's
 * forward pass runs 1.7× faster with 2 threads than with 1, not 2×), so two independent one-thread
 * streams of work — the teacher's next forward pass, the student's forward, backward and update — do
 * more per second than one two-thread stream. Measured on the 2-vCPU machine for pytorch_peer.py's kd
 * shape: 1.17–1.29× the sequential step (README, "Speed").
 *
 * <p>Every teacher forward pass runs on the pipeline's thread, with one intra-op thread, whether it was
 * computed ahead or not (after a resume, or when the trainer asks for another batch than the one
 * prepared), so the numbers do not depend on timing. While the pipeline is open the caller's thread
 * uses the remaining threads; {@link #close} gives them back. Open and close it on the training thread:
 * PyTorch's thread count is per thread. Open it before the training thread computes anything of the run
 * (its thread count changes when the pipeline opens), so that every step, resumed or not, runs its kernels
 * with the same thread counts.
 *
 * <p>The teacher's arrays live under a root of their own, left out of {@link LiveArrays#count} while in
 * flight: how far the next pass has got when a metrics row is written depends on timing.
 */
public final class TeacherPipeline implements AutoCloseable {
    private final LiveArrays.TransientRoot root = LiveArrays.transientRoot();
    private final int callerThreads;
    private final ExecutorService thread;
    private long pendingKey = -1;
    private Future<NDArray> pending;
    private NDManager pendingScope;

    private TeacherPipeline(int callerThreads) {
        this.callerThreads = callerThreads;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "teacher-pipeline");
            t.setDaemon(true);
            return t;
        });
        get(thread.submit(() -> {
            JniUtils.setNumThreads(1);
            JniUtils.setGradMode(false);
            return null;
        }));
        JniUtils.setNumThreads(Math.max(1, callerThreads - 1));
    }

    /**
     * A pipeline when this thread has at least 2 intra-op threads to share, else empty (the caller then
     * runs the teacher itself).
     */
    public static Optional<TeacherPipeline> open() {
        int threads = JniUtils.getNumThreads();
        return threads < 2 ? Optional.empty() : Optional.of(new TeacherPipeline(threads));
    }

    /**
     * The teacher's output for {@code key}, attached to {@code m}: taken from the pipeline when it was
     * the {@code nextKey} of the previous call, else computed now (on the pipeline's thread). Then starts
     * computing {@code nextKey} with {@code nextWork} (skipped when {@code nextWork} is null).
     *
     * @param work computes the output; it gets a manager for its temporaries, closed when it returns
     */
    public NDArray take(NDManager m, long key, Function<NDManager, NDArray> work, long nextKey,
                        Function<NDManager, NDArray> nextWork) {
        NDArray out;
        if (pending != null && pendingKey == key) {
            out = get(pending);
            out.attach(m);
            pendingScope.close();
            pending = null;
        } else {
            discardPending();
            try (NDManager scope = root.manager().newSubManager()) {
                out = get(submit(scope, work));
                out.attach(m);
            }
        }
        if (nextWork != null) {
            pendingScope = root.manager().newSubManager();
            pendingKey = nextKey;
            pending = submit(pendingScope, nextWork);
        }
        return out;
    }

    /** Runs {@code work} on the pipeline's thread; its result is attached to {@code holder}, its temporaries freed. */
    private Future<NDArray> submit(NDManager holder, Function<NDManager, NDArray> work) {
        return thread.submit(() -> {
            try (NDManager temporaries = holder.newSubManager()) {
                NDArray result = work.apply(temporaries);
                result.attach(holder);
                return result;
            }
        });
    }

    private void discardPending() {
        if (pending != null) {
            try {
                get(pending);
            } catch (RuntimeException e) {
                // a batch nobody asked for any more: its failure does not matter
            }
            pendingScope.close();
            pending = null;
        }
    }

    private static <T> T get(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the teacher", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("teacher forward pass failed", e.getCause());
        }
    }

    /** Stops the pipeline's thread and gives this thread its intra-op threads back. */
    @Override
    public void close() {
        discardPending();
        thread.shutdown();
        root.close();
        JniUtils.setNumThreads(callerThreads);
    }
}
