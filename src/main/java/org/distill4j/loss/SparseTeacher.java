package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.distill4j.lm.Safetensors;
import org.distill4j.util.UserError;

/**
 * A teacher's next-token distributions reduced to their top k classes plus one tail class, compact
 * enough to cache on disk so that the teacher need not stay loaded during distillation.
 *
 * <p>For each position [b, t]: the k most likely token ids (most likely first), their log-probabilities
 * at {@code temperature}, and the log of the mass of all other tokens. The loss coarsens the student onto
 * the same k ids plus its own tail, so a divergence computed against this teacher is exactly the
 * divergence between the two distributions coarsened to those k+1 classes. By the data-processing
 * inequality it is ≤ the full-vocabulary divergence, and equal when k = V. The temperature is baked in:
 * the loss must use the same one.
 *
 * <p>Arrays are flat in row-major [B, T, k] (indices, logProbs) and [B, T] (tailLogProbs) order.
 *
 * @param vocabSize the teacher's vocabulary size V; the student's must match
 */
public record SparseTeacher(int batch, int length, int k, int vocabSize, double temperature,
                            int[] indices, float[] logProbs, float[] tailLogProbs) {
    static final String KIND = "distill4j.sparse_teacher";

    public SparseTeacher {
        if (batch < 0 || length < 0) {
            throw new IllegalArgumentException("negative shape [" + batch + ", " + length + "]");
        }
        if (k < 1 || k > vocabSize) {
            throw new IllegalArgumentException("k must be in [1, vocab size " + vocabSize + "], got " + k);
        }
        DistillationLoss.checkTemperature(temperature);
        long positions = (long) batch * length;
        if (indices.length != positions * k || logProbs.length != positions * k || tailLogProbs.length != positions) {
            throw new IllegalArgumentException("array lengths " + indices.length + "/" + logProbs.length + "/" + tailLogProbs.length
                    + " do not match [" + batch + ", " + length + ", " + k + "]");
        }
        for (int id : indices) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + vocabSize + ")");
            }
        }
    }

    /**
     * The teacher's top-k at {@code temperature} as device arrays, without a trip to the host (for a
     * teacher run online). Computed without gradient; the result is owned by {@code teacherLogits}'s manager.
     *
     * @param teacherLogits [B, T, V]
     */
    public static Tensors tensorsFromLogits(NDArray teacherLogits, int k, double temperature) {
        Shape shape = teacherLogits.getShape();
        if (shape.dimension() != 3) {
            throw new IllegalArgumentException("teacher logits must be [B, T, V], got " + shape);
        }
        int vocab = Math.toIntExact(shape.get(2));
        if (k < 1 || k > vocab) {
            throw new IllegalArgumentException("k must be in [1, vocab size " + vocab + "], got " + k);
        }
        DistillationLoss.checkTemperature(temperature);
        NDManager owner = teacherLogits.getManager();
        try (NDManager scope = owner.newSubManager()) {
            NDArray logits = teacherLogits.stopGradient();
            logits.attach(scope);
            NDArray logProbs = DistillationLoss.logProbs(logits, temperature);
            NDList top = logProbs.topK(k, 2, true, true);
            NDArray indices = top.get(1);
            NDArray coarse = TopKPartition.coarsen(logProbs, indices);
            indices.attach(owner);
            coarse.attach(owner);
            return new Tensors(indices, coarse, vocab, temperature);
        }
    }

    /** {@link #tensorsFromLogits} copied to the host, ready to {@link #save}. */
    public static SparseTeacher fromLogits(NDArray teacherLogits, int k, double temperature) {
        try (NDManager scope = teacherLogits.getManager().newSubManager()) {
            NDArray logits = teacherLogits.stopGradient();
            logits.attach(scope); // so that the device results and their host conversions stay in the scope
            Tensors t = tensorsFromLogits(logits, k, temperature);
            Shape shape = t.indices().getShape();
            int b = Math.toIntExact(shape.get(0));
            int len = Math.toIntExact(shape.get(1));
            float[] coarse = t.logProbs().toType(DataType.FLOAT32, false).toFloatArray();
            float[] top = new float[b * len * k];
            float[] tail = new float[b * len];
            for (int row = 0; row < b * len; row++) {
                System.arraycopy(coarse, row * (k + 1), top, row * k, k);
                tail[row] = coarse[row * (k + 1) + k];
            }
            return new SparseTeacher(b, len, k, t.vocabSize(), temperature,
                    t.indices().toType(DataType.INT32, false).toIntArray(), top, tail);
        }
    }

    /** The arrays the loss consumes, created in {@code manager}. */
    public Tensors toTensors(NDManager manager) {
        long[] ids = new long[indices.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = indices[i];
        }
        int rows = batch * length;
        float[] coarse = new float[rows * (k + 1)];
        for (int row = 0; row < rows; row++) {
            System.arraycopy(logProbs, row * k, coarse, row * (k + 1), k);
            coarse[row * (k + 1) + k] = tailLogProbs[row];
        }
        return new Tensors(manager.create(ids, new Shape(batch, length, k)),
                manager.create(coarse, new Shape(batch, length, k + 1)), vocabSize, temperature);
    }

    /**
     * Writes {@code indices} (I64 [B, T, k]), {@code log_probs} (F32 [B, T, k]) and {@code tail_log_prob}
     * (F32 [B, T]) with k, vocab_size and temperature in the metadata, atomically.
     */
    public void save(Path file) {
        long[] ids = new long[indices.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = indices[i];
        }
        new Safetensors.Writer()
                .metadata("kind", KIND)
                .metadata("k", Integer.toString(k))
                .metadata("vocab_size", Integer.toString(vocabSize))
                .metadata("temperature", Double.toString(temperature))
                .addLongs("indices", ids, new long[] {batch, length, k})
                .add("log_probs", logProbs, new long[] {batch, length, k}, Safetensors.DType.F32)
                .add("tail_log_prob", tailLogProbs, new long[] {batch, length}, Safetensors.DType.F32)
                .write(file);
    }

    /** Reads a file written by {@link #save}; a malformed one is a {@link UserError}. */
    public static SparseTeacher load(Path file) {
        try (Safetensors.Reader in = Safetensors.open(file)) {
            Map<String, String> meta = in.metadata();
            if (!KIND.equals(meta.get("kind"))) {
                throw new UserError(file + ": not a sparse-teacher file (metadata kind = " + meta.get("kind") + ")");
            }
            long[] shape = in.info("indices").shape();
            if (shape.length != 3 || !Arrays.equals(in.info("log_probs").shape(), shape)
                    || !Arrays.equals(in.info("tail_log_prob").shape(), new long[] {shape[0], shape[1]})) {
                throw new UserError(file + ": inconsistent shapes of indices, log_probs and tail_log_prob");
            }
            long[] ids = in.readLongs("indices");
            int[] narrow = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                narrow[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, ids[i]));
            }
            try {
                return new SparseTeacher(Math.toIntExact(shape[0]), Math.toIntExact(shape[1]), Math.toIntExact(shape[2]),
                        Integer.parseInt(meta.get("vocab_size")), Double.parseDouble(meta.get("temperature")),
                        narrow, in.readFloats("log_probs"), in.readFloats("tail_log_prob"));
            } catch (IllegalArgumentException | NullPointerException | ArithmeticException e) {
                throw new UserError(file + ": invalid sparse teacher: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SparseTeacher s && batch == s.batch && length == s.length && k == s.k && vocabSize == s.vocabSize
                && Double.compare(temperature, s.temperature) == 0 && Arrays.equals(indices, s.indices)
                && Arrays.equals(logProbs, s.logProbs) && Arrays.equals(tailLogProbs, s.tailLogProbs);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(indices) + Arrays.hashCode(logProbs);
    }

    @Override
    public String toString() {
        return "SparseTeacher[" + batch + " × " + length + ", k=" + k + ", V=" + vocabSize + ", τ=" + temperature + "]";
    }

    /**
     * A sparse teacher on the device, as the loss consumes it.
     *
     * @param indices  int64 [B, T, k], the teacher's top-k token ids
     * @param logProbs float32 [B, T, k+1], their log-probabilities, then log(tail mass) last
     */
    public record Tensors(NDArray indices, NDArray logProbs, int vocabSize, double temperature) implements AutoCloseable {
        public int k() {
            return Math.toIntExact(indices.getShape().get(2));
        }

        @Override
        public void close() {
            indices.close();
            logProbs.close();
        }
    }
}
