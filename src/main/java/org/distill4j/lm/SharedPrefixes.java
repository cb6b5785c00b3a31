package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Keys and values of prompts that several rows of a decoding batch share (the n samples of a prompt), stored once per
 * group rather than once per row: [groups, kvHeads, length, headDim] per layer, group i's prompt at positions 0..len-1.
 * A decoding step then reads each shared prompt once for all its rows (one product per group, its rows stacked as
 * queries) instead of n copies; a row's own cache holds only what follows the prompt. The store grows by copying when
 * more or longer groups arrive; the decoder keeps the groups in use at the front ({@link #move}).
 */
public final class SharedPrefixes implements AutoCloseable {
    private final NDManager manager;
    private final ModelConfig config;
    private NDArray[] keys = new NDArray[0];
    private NDArray[] values = new NDArray[0];
    private int groupCapacity;
    private int lengthCapacity;

    public SharedPrefixes(NDManager parent, ModelConfig config) {
        this.manager = parent.newSubManager();
        this.config = config;
    }

    /** Room for at least {@code groups} groups of up to {@code length} positions, keeping what is stored. */
    public void ensure(int groups, int length) {
        if (groups <= groupCapacity && length <= lengthCapacity) {
            return;
        }
        int g = groups <= groupCapacity ? groupCapacity : Math.max(groups, Math.max(4, 2 * groupCapacity)); // doubling: few copies
        int len = Math.max(length, lengthCapacity);
        int layers = config.numHiddenLayers();
        NDArray[] newKeys = new NDArray[layers];
        NDArray[] newValues = new NDArray[layers];
        Shape shape = new Shape(g, config.numKeyValueHeads(), len, config.headDim());
        for (int i = 0; i < layers; i++) {
            newKeys[i] = manager.zeros(shape, DataType.FLOAT32);
            newValues[i] = manager.zeros(shape, DataType.FLOAT32);
            if (groupCapacity > 0) {
                long[] to = {groupCapacity, shape.get(1), lengthCapacity, shape.get(3)};
                JniUtils.indexSet((PtNDArray) newKeys[i], (PtNDArray) keys[i], new long[4], to, new long[] {1, 1, 1, 1});
                JniUtils.indexSet((PtNDArray) newValues[i], (PtNDArray) values[i], new long[4], to, new long[] {1, 1, 1, 1});
                keys[i].close();
                values[i].close();
            }
        }
        keys = newKeys;
        values = newValues;
        groupCapacity = g;
        lengthCapacity = len;
    }

    /** Positions {@code fromAt .. fromAt + len - 1} of row {@code fromRow} of a prefill's cache become group {@code group}'s prompt. */
    public void write(int group, KvCache source, int fromRow, int fromAt, int len) {
        try (NDManager scratch = manager.newSubManager()) {
            for (int layer = 0; layer < keys.length; layer++) {
                KvCache.copySpan(source.keys(layer), fromRow, fromAt, len, keys[layer], group, 0, scratch);
                KvCache.copySpan(source.values(layer), fromRow, fromAt, len, values[layer], group, 0, scratch);
            }
        }
    }

    /** Group {@code from}'s first {@code len} positions copied to group {@code to} (to keep the groups in use at the front). */
    public void move(int from, int to, int len) {
        try (NDManager scratch = manager.newSubManager()) {
            for (int layer = 0; layer < keys.length; layer++) {
                KvCache.copySpan(keys[layer], from, 0, len, keys[layer], to, 0, scratch);
                KvCache.copySpan(values[layer], from, 0, len, values[layer], to, 0, scratch);
            }
        }
    }

    /**
     * What one decoding step reads: the first {@code groups} groups' first {@code length} positions, and how rows map to
     * groups. Arrays live in the step's manager.
     *
     * @param groupRows    [groups · members]: the batch slot of member m of group g at g·members + m (any slot where a
     *                     group has fewer members: its results are never read)
     * @param slotPosition [batch]: where each slot's row sits in that group-major order (any index for rows without a
     *                     group, whose shared part the mask hides)
     * @param grouped      [batch, 1, 1, 1]: 1 for a slot in a group, 0 for one without (whose gathered shared output is
     *                     another row's and must not count); null when every slot is in a group
     */
    public record Step(SharedPrefixes store, int groups, int length, int members, NDArray groupRows, NDArray slotPosition,
                       NDArray grouped) {
        NDArray keys(int layer, NDManager owner) {
            return store.view(store.keys[layer], groups, length, owner);
        }

        NDArray values(int layer, NDManager owner) {
            return store.view(store.values[layer], groups, length, owner);
        }
    }

    /** @param grouped per slot: whether it is in a group */
    public Step step(NDManager m, int groups, int length, int members, long[] groupRows, long[] slotPosition, boolean[] grouped) {
        if (groups > groupCapacity || length > lengthCapacity) {
            throw new IllegalArgumentException(groups + " groups of " + length + " positions exceed the store's "
                    + groupCapacity + " × " + lengthCapacity);
        }
        float[] weight = new float[grouped.length];
        boolean all = true;
        for (int s = 0; s < grouped.length; s++) {
            weight[s] = grouped[s] ? 1f : 0f;
            all &= grouped[s];
        }
        return new Step(this, groups, length, members, m.create(groupRows), m.create(slotPosition),
                all ? null : m.create(weight, new Shape(grouped.length, 1, 1, 1)));
    }

    private NDArray view(NDArray a, int groups, int length, NDManager owner) {
        NDArray g = JniUtils.slice((PtNDArray) a, 0, 0, groups, 1);
        g.attach(owner);
        NDArray v = JniUtils.slice((PtNDArray) g, 2, 0, length, 1);
        v.attach(owner);
        return v;
    }

    @Override
    public void close() {
        manager.close();
    }
}
