package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.Example;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.SparseTeacher;
import org.distill4j.util.UserError;

/**
 * The teacher's top-k log-probs plus tail bucket ({@link SparseTeacher}) at every response position of
 * an offline dataset, computed once and stored compactly (k ids + k+1 log-probs per token instead of V
 * logits), so that distillation on the dataset needs no teacher forward pass and no teacher in memory.
 */
public final class TopKCache {
    private final int k;
    private final int vocabSize;
    private final double temperature;
    private final int[] offsets;
    private final long[] indices;
    private final float[] logProbs;

    private TopKCache(int k, int vocabSize, double temperature, int[] offsets, long[] indices, float[] logProbs) {
        this.k = k;
        this.vocabSize = vocabSize;
        this.temperature = temperature;
        this.offsets = offsets;
        this.indices = indices;
        this.logProbs = logProbs;
    }

    /** Runs the teacher over every example (in batches) and keeps its top-k + tail on the first {@code vocab} ids. */
    public static TopKCache build(Transformer teacher, List<Example> examples, int k, double temperature, int vocab, int batch) {
        int[] offsets = new int[examples.size() + 1];
        for (int i = 0; i < examples.size(); i++) {
            offsets[i + 1] = offsets[i] + examples.get(i).response().length;
        }
        int rows = offsets[examples.size()];
        long[] ids = new long[Math.multiplyExact(rows, k)];
        float[] lp = new float[rows * (k + 1)];
        for (int s = 0; s < examples.size(); s += batch) {
            int e = Math.min(examples.size(), s + batch);
            try (NDManager m = teacher.manager().newSubManager()) {
                NDArray logits = LanguageModel.responseLogits(teacher, m, Example.prompts(examples.subList(s, e)), Example.responses(examples.subList(s, e))).logits();
                if (logits.getShape().get(2) != vocab) {
                    logits = logits.get(":, :, :" + vocab);
                }
                SparseTeacher sparse = SparseTeacher.fromLogits(logits, k, temperature);
                int r = sparse.length();
                for (int i = s; i < e; i++) {
                    for (int j = 0; j < offsets[i + 1] - offsets[i]; j++) {
                        int src = (i - s) * r + j;
                        int dst = offsets[i] + j;
                        for (int c = 0; c < k; c++) {
                            ids[dst * k + c] = sparse.indices()[src * k + c];
                            lp[dst * (k + 1) + c] = sparse.logProbs()[src * k + c];
                        }
                        lp[dst * (k + 1) + k] = sparse.tailLogProbs()[src];
                    }
                }
            }
        }
        return new TopKCache(k, vocab, temperature, offsets, ids, lp);
    }

    public int k() {
        return k;
    }

    public int examples() {
        return offsets.length - 1;
    }

    /** Bytes this cache holds (ids as int64 plus float log-probs), for comparison with full logits. */
    public long bytes() {
        return indices.length * 8L + logProbs.length * 4L + offsets.length * 4L;
    }

    /** Bytes the full-vocabulary float32 logits of the same positions would take. */
    public long fullLogitBytes() {
        return (long) offsets[offsets.length - 1] * vocabSize * 4L;
    }

    /**
     * The cached teacher for a batch of examples padded to {@code length} positions (padding rows are
     * a uniform stand-in over the k+1 classes; the loss masks them out).
     */
    public SparseTeacher.Tensors tensors(NDManager m, int[] exampleIds, int length) {
        int b = exampleIds.length;
        long[] ids = new long[b * length * k];
        float[] lp = new float[b * length * (k + 1)];
        java.util.Arrays.fill(lp, (float) -Math.log(k + 1));
        for (int i = 0; i < b; i++) {
            int ex = exampleIds[i];
            int len = offsets[ex + 1] - offsets[ex];
            if (len > length) {
                throw new IllegalArgumentException("example " + ex + " has " + len + " cached positions, more than " + length);
            }
            System.arraycopy(indices, offsets[ex] * k, ids, i * length * k, len * k);
            System.arraycopy(logProbs, offsets[ex] * (k + 1), lp, i * length * (k + 1), len * (k + 1));
            for (int j = len; j < length; j++) {
                for (int c = 0; c < k; c++) {
                    ids[(i * length + j) * k + c] = c;
                }
            }
        }
        return new SparseTeacher.Tensors(m.create(ids, new Shape(b, length, k)), m.create(lp, new Shape(b, length, k + 1)),
                vocabSize, temperature);
    }

    public void save(Path file) {
        long[] off = new long[offsets.length];
        for (int i = 0; i < off.length; i++) {
            off[i] = offsets[i];
        }
        int rows = offsets[offsets.length - 1];
        new Safetensors.Writer()
                .metadata("kind", "distill4j.topk_cache").metadata("k", String.valueOf(k))
                .metadata("vocab_size", String.valueOf(vocabSize)).metadata("temperature", String.valueOf(temperature))
                .addLongs("offsets", off, new long[] {off.length})
                .addLongs("indices", indices, new long[] {rows, k})
                .add("log_probs", logProbs, new long[] {rows, k + 1}, Safetensors.DType.F32)
                .write(file);
    }

    public static TopKCache load(Path file) {
        try (Safetensors.Reader r = Safetensors.open(file)) {
            if (!"distill4j.topk_cache".equals(r.metadata().get("kind"))) {
                throw new UserError(file + ": not a distill4j top-k teacher cache");
            }
            long[] off = r.readLongs("offsets");
            int[] offsets = new int[off.length];
            for (int i = 0; i < off.length; i++) {
                offsets[i] = Math.toIntExact(off[i]);
            }
            return new TopKCache(Integer.parseInt(r.metadata().get("k")), Integer.parseInt(r.metadata().get("vocab_size")),
                    Double.parseDouble(r.metadata().get("temperature")), offsets, r.readLongs("indices"), r.readFloats("log_probs"));
        }
    }
}
