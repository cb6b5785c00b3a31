package org.distill4j.gad;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.distill4j.util.UserError;

/**
 * GAD's discriminator: the student's architecture, initialised from the student's weights, plus a fresh
 * scalar head on the final hidden state of the last response token (a finished response is scored at
 * its EOS). The head is {@code score.weight} [1, H] without bias, as transformers'
 * LlamaForSequenceClassification with one label (a bias would cancel in the Bradley–Terry loss).
 *
 * <p>On disk: the backbone as an ordinary checkpoint directory plus {@code score.safetensors} holding the
 * head, so the backbone stays loadable by every tool that reads the student.
 */
public final class Discriminator implements AutoCloseable {
    public static final String HEAD_FILE = "score.safetensors";
    public static final String HEAD = "score.weight";

    private final Transformer backbone;
    private final NDArray head;

    private Discriminator(Transformer backbone, NDArray head) {
        this.backbone = backbone;
        this.head = head;
    }

    /**
     * Initialises from the student's checkpoint; the head is drawn N(0, 0.02²) (transformers'
     * initializer_range) from {@code seed}, in Java so that it does not depend on the engine's RNG.
     */
    public static Discriminator fromStudent(Path studentDir, NDManager parent, long seed) {
        Transformer t = Checkpoint.loadTransformer(studentDir, parent);
        int h = t.config().hiddenSize();
        float[] w = new float[h];
        SplittableRandom rng = new SplittableRandom(seed ^ 0xD15C0L);
        for (int i = 0; i < h; i++) {
            double u1 = rng.nextDouble();
            double u2 = rng.nextDouble();
            w[i] = (float) (0.02 * Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2));
        }
        return new Discriminator(t, t.manager().create(w, new Shape(1, h)));
    }

    /** Loads a discriminator written by {@link #writeFiles}. */
    public static Discriminator load(Path dir, NDManager parent) {
        Path headFile = dir.resolve(HEAD_FILE);
        if (!Files.isRegularFile(headFile)) {
            throw new UserError(dir + ": not a discriminator (no " + HEAD_FILE + ")");
        }
        Transformer t = Checkpoint.loadTransformer(dir, parent);
        try (Safetensors.Reader r = Safetensors.open(headFile)) {
            long[] shape = r.info(HEAD).shape();
            if (shape.length != 2 || shape[0] != 1 || shape[1] != t.config().hiddenSize()) {
                t.close();
                throw new UserError(headFile + ": '" + HEAD + "' has shape " + java.util.Arrays.toString(shape) + ", expected [1, "
                        + t.config().hiddenSize() + "]");
            }
            return new Discriminator(t, t.manager().create(r.readFloats(HEAD), new Shape(1, t.config().hiddenSize())));
        }
    }

    public Transformer backbone() {
        return backbone;
    }

    /**
     * The trainable parameters: the backbone's (without an untied LM head, which the score never
     * reaches) and the head.
     */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> p = new LinkedHashMap<>(backbone.parameters());
        p.remove("lm_head.weight");
        p.put(HEAD, head);
        return p;
    }

    public void setTrainable(boolean trainable) {
        for (NDArray p : parameters().values()) {
            p.setRequiresGradient(trainable);
        }
    }

    /**
     * Scores [B] of prompt + response rows (right-padded; responses non-empty), read at the last
     * response token. Differentiable when called inside a GradientCollector with trainable parameters.
     */
    public NDArray scores(NDManager m, List<long[]> prompts, List<long[]> responses) {
        int b = prompts.size();
        List<long[]> rows = new ArrayList<>(b);
        long[] last = new long[b];
        for (int i = 0; i < b; i++) {
            long[] p = prompts.get(i);
            long[] y = responses.get(i);
            if (y.length == 0) {
                throw new IllegalArgumentException("response " + i + " is empty: the discriminator reads its last token");
            }
            long[] row = java.util.Arrays.copyOf(p, p.length + y.length);
            System.arraycopy(y, 0, row, p.length, y.length);
            rows.add(row);
            last[i] = row.length - 1;
        }
        NDArray ids = LanguageModel.rightPadded(m, rows, Math.max(0, backbone.config().padTokenId()));
        NDArray hidden = backbone.hidden(ids, null, null, null);
        long h = hidden.getShape().get(2);
        NDArray at = hidden.gather(m.create(last, new Shape(b, 1, 1)).broadcast(new Shape(b, 1, h)), 1).reshape(b, h);
        NDArray headT = head.transpose(); // owned by the head's manager unless moved: one array kept per call
        headT.attach(m);
        return at.matMul(headT).reshape(b);
    }

    /** Writes the backbone checkpoint files and the head into an existing directory, each file atomically. */
    public void writeFiles(Path dir, Map<String, Path> extraFiles) throws IOException {
        Checkpoint.writeFiles(dir, backbone, Safetensors.DType.F32, extraFiles);
        new Safetensors.Writer().add(HEAD, head, Safetensors.DType.F32).write(dir.resolve(HEAD_FILE));
    }

    /** Copies weights (backbone and head) from another discriminator of the same shape. */
    public void copyFrom(Discriminator other) {
        Map<String, NDArray> mine = parameters();
        other.parameters().forEach((k, v) -> mine.get(k).set(v.toFloatArray()));
    }

    @Override
    public void close() {
        backbone.close();
    }
}
