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
import org.distill4j.lm.Lora;
import org.distill4j.lm.LoraConfig;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * GAD's discriminator: the student's architecture, initialised from the student's weights, plus a fresh
 * scalar head on the final hidden state of the last response token (a finished response is scored at
 * its EOS). The head is {@code score.weight} [1, H] without bias, as transformers'
 * LlamaForSequenceClassification with one label (a bias would cancel in the Bradley–Terry loss).
 *
 * <p>On disk: the backbone as an ordinary checkpoint directory plus {@code score.safetensors} holding the
 * head, so the backbone stays loadable by every tool that reads the student. With LoRA the backbone is the student's
 * frozen base (shared, not copied) with adapters of its own, and the head trains whole: on disk a PEFT adapter of
 * task SEQ_CLS whose {@code modules_to_save} is the head ({@code base_model.model.score.weight} beside the adapters),
 * as PEFT saves a sequence classifier's LoRA.
 */
public final class Discriminator implements AutoCloseable {
    public static final String HEAD_FILE = "score.safetensors";
    public static final String HEAD = "score.weight";
    /** PEFT's task type of a model with a classification head ("score"). */
    static final String SEQ_CLS = "SEQ_CLS";

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
        return new Discriminator(t, freshHead(t, seed));
    }

    private static NDArray freshHead(Transformer t, long seed) {
        int h = t.config().hiddenSize();
        float[] w = new float[h];
        SplittableRandom rng = new SplittableRandom(seed ^ 0xD15C0L);
        for (int i = 0; i < h; i++) {
            double u1 = rng.nextDouble();
            double u2 = rng.nextDouble();
            w[i] = (float) (0.02 * Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2));
        }
        return t.manager().create(w, new Shape(1, h));
    }

    /**
     * A discriminator on the student's frozen base (its arrays shared, never copied) with fresh adapters of {@code lora}
     * (seeded apart from the generator's) and a fresh head, as {@link #fromStudent} draws it.
     */
    public static Discriminator withAdapter(Transformer student, LoraConfig lora, String baseModel, NDManager parent, long seed) {
        Transformer t = student.baseView(parent.newSubManager());
        t.attach(Lora.init(t.config(), lora, baseModel, t.manager(), seed ^ 0xD15C0L));
        return new Discriminator(t, freshHead(t, seed));
    }

    /** Loads a discriminator written by {@link #writeFiles} (a PEFT adapter's base is read from its config). */
    public static Discriminator load(Path dir, NDManager parent) {
        if (Lora.isAdapter(dir)) {
            Path base = Path.of(Json.read(dir.resolve(Lora.CONFIG)).path("base_model_name_or_path").asText());
            Transformer t = Checkpoint.loadTransformer(base, parent);
            Lora.Loaded l = Lora.read(dir, t.config(), t.manager());
            float[] head = l.wholeModules().get(HEAD);
            if (head == null || head.length != t.config().hiddenSize()) {
                t.close();
                throw new UserError(dir.resolve(Lora.WEIGHTS) + ": no '" + Lora.savedName(HEAD) + "' of " + t.config().hiddenSize()
                        + " values");
            }
            t.attach(l.lora());
            return new Discriminator(t, t.manager().create(head, new Shape(1, t.config().hiddenSize())));
        }
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
     * reaches; with LoRA its adapters only) and the head.
     */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> p = new LinkedHashMap<>(backbone.trainableParameters());
        p.remove("lm_head.weight");
        p.put(HEAD, head);
        return p;
    }

    public void setTrainable(boolean trainable) {
        if (backbone.lora() != null) {
            backbone.setTrainable(trainable); // its adapters; the base, shared with the generator, stays frozen
        }
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
        if (backbone.lora() != null) {
            backbone.lora().write(dir, backbone.config(), SEQ_CLS, Map.of(HEAD, head));
            Checkpoint.copyFiles(dir, backbone.config(), extraFiles);
            return;
        }
        Checkpoint.writeFiles(dir, backbone, Safetensors.DType.F32, extraFiles);
        new Safetensors.Writer().add(HEAD, head, Safetensors.DType.F32).write(dir.resolve(HEAD_FILE));
    }

    /** Reads back what {@link #writeFiles} wrote into this discriminator's trainable parameters. */
    public void restore(Path dir) {
        if (backbone.lora() != null) {
            Map<String, NDArray> named = new LinkedHashMap<>(backbone.trainableParameters());
            named.put(Lora.savedName(HEAD), head);
            Checkpoint.readInto(dir.resolve(Lora.WEIGHTS), named);
            return;
        }
        Map<String, NDArray> weights = new LinkedHashMap<>(parameters());
        weights.remove(HEAD);
        Checkpoint.readInto(dir.resolve(Checkpoint.WEIGHTS), weights);
        Checkpoint.readInto(dir.resolve(HEAD_FILE), Map.of(HEAD, head));
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
