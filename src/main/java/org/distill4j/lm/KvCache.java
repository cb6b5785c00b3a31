package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Keys and values of every layer for a batch being decoded, preallocated to a capacity so a decoding
 * step writes its new entries in place instead of copying the whole cache (concatenation would cost
 * O(length) memory traffic per token).
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;
    private int length;
    /** The shared prompts the next forward pass reads besides the rows' own entries, or null. */
    private SharedPrefixes.Step prefixes;

    public KvCache(NDManager parent, ModelConfig config, int batch, int capacity) {
        this(parent, config, batch, capacity, true);
    }

    /**
     * A cache that a prefill of {@code capacity} positions fills completely: its memory is not cleared first (a
     * cache whose unwritten entries are masked must still be zeroed, since a masked NaN would poison the softmax).
     */
    public static KvCache filledByPrefill(NDManager parent, ModelConfig config, int batch, int capacity) {
        return new KvCache(parent, config, batch, capacity, false);
    }

    private KvCache(NDManager parent, ModelConfig config, int batch, int capacity, boolean zeroed) {
        this.manager = parent.newSubManager();
        this.capacity = capacity;
        int layers = config.numHiddenLayers();
        keys = new NDArray[layers];
        values = new NDArray[layers];
        Shape shape = new Shape(batch, config.numKeyValueHeads(), capacity, config.headDim());
        for (int i = 0; i < layers; i++) {
            keys[i] = zeroed ? manager.zeros(shape, DataType.FLOAT32) : manager.create(shape, DataType.FLOAT32);
            values[i] = zeroed ? manager.zeros(shape, DataType.FLOAT32) : manager.create(shape, DataType.FLOAT32);
        }
    }

    /**
     * Makes the next decoding passes (one token per row) also attend to these shared prompts, which come before each
     * row's own entries (the caller's mask covers both: [B, 1, 1, prefix length + own length]); null stops it.
     */
    public void readPrefixes(SharedPrefixes.Step step) {
        this.prefixes = step;
    }

    SharedPrefixes.Step prefixes() {
        return prefixes;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Number of positions already stored. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Writes the new keys/values [B, kvHeads, t, D] of one layer after the stored ones; returns views of all. */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        int t = (int) k.getShape().get(2);
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + t + " > " + capacity);
        }
        // PyTorch-engine calls: DJL's NDIndex set/get parse and rebuild an index per call (~0.2 ms each),
        // which dominated a decoding step of small models; one slice-assign and one narrow view are one call each
        long[] shape = keys[layer].getShape().getShape();
        long[] from = {0, 0, length, 0};
        long[] to = {shape[0], shape[1], length + t, shape[3]};
        long[] step = {1, 1, 1, 1};
        JniUtils.indexSet((PtNDArray) keys[layer], (PtNDArray) k, from, to, step);
        JniUtils.indexSet((PtNDArray) values[layer], (PtNDArray) v, from, to, step);
        // views owned by the caller's (per-step) manager, so nothing accumulates in the cache's manager
        NDManager owner = k.getManager();
        NDArray keyView = JniUtils.slice((PtNDArray) keys[layer], 2, 0, length + t, 1);
        NDArray valueView = JniUtils.slice((PtNDArray) values[layer], 2, 0, length + t, 1);
        keyView.attach(owner);
        valueView.attach(owner);
        return new NDArray[] {keyView, valueView};
    }

    /** Called once per forward after every layer has appended its {@code t} new positions. */
    void advance(int t) {
        length += t;
    }

    /**
     * Moves the end of the stored positions {@code n} further without writing them (they hold zeros or stale entries,
     * which the caller's mask must hide), so that a longer newcomer's keys fit just below the end ({@link #copyRow}).
     */
    public void skip(int n) {
        if (n < 0 || length + n > capacity) {
            throw new IllegalArgumentException("cannot skip " + n + " positions of a cache holding " + length + " of " + capacity);
        }
        length += n;
    }

    /**
     * Copies positions {@code fromAt .. fromAt + len - 1} of row {@code fromRow} of {@code source} into row
     * {@code toRow} of this cache, at positions {@code at .. at + len - 1} (which must lie below {@link #length()}, so that the
     * next step does not write over them). Lets a server prefill newcomers in a small batch of their own and
     * then seat them in the running batch's cache.
     */
    public void copyRow(KvCache source, int fromRow, int fromAt, int len, int toRow, int at) {
        if (at < 0 || at + len > length || fromAt < 0 || fromAt + len > source.length) {
            throw new IllegalArgumentException("cannot copy " + len + " positions to " + at + " of a cache holding " + length
                    + " (the source holds " + source.length + ")");
        }
        try (NDManager scratch = manager.newSubManager()) {
            for (int layer = 0; layer < keys.length; layer++) {
                copySpan(source.keys[layer], fromRow, fromAt, len, keys[layer], toRow, at, scratch);
                copySpan(source.values[layer], fromRow, fromAt, len, values[layer], toRow, at, scratch);
            }
        }
    }

    /**
     * Positions {@code fromAt ..} (len of them) of row {@code fromRow} of a [B, kvHeads, T, d] array written into row
     * {@code toRow} of another at positions {@code at ..}; the views go to {@code scratch}. One slice-assign per array, as in
     * {@link #append} (DJL's NDIndex parses an index per call).
     */
    static void copySpan(NDArray source, int fromRow, int fromAt, int len, NDArray target, int toRow, int at, NDManager scratch) {
        NDArray row = JniUtils.slice((PtNDArray) source, 0, fromRow, fromRow + 1, 1);
        row.attach(scratch);
        NDArray span = JniUtils.slice((PtNDArray) row, 2, fromAt, fromAt + len, 1);
        span.attach(scratch);
        long[] shape = target.getShape().getShape();
        JniUtils.indexSet((PtNDArray) target, (PtNDArray) span, new long[] {toRow, 0, at, 0},
                new long[] {toRow + 1, shape[1], at + len, shape[3]}, new long[] {1, 1, 1, 1});
    }

    @Override
    public void close() {
        manager.close();
    }
}
