package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.distill4j.data.DataSource;
import org.distill4j.data.Example;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.ChunkedHeadLoss;
import org.distill4j.loss.Diagnostics;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.SparseTeacher;

/**
 * White-box distillation: the chosen divergence between the teacher's and the student's next-token
 * distributions along the responses of each batch (teacher forward without gradient), averaged over
 * the response tokens of the optimizer step, plus an optional cross-entropy on the response tokens.
 * Vocabularies that differ only by padding (e.g. 151936 vs 152064) are compared on the common ids.
 */
public final class KdObjective implements Objective, AutoCloseable {
    private final Transformer student;
    private final Transformer teacher;
    private final DataSource source;
    private final DistillationLoss loss;
    private final double ceWeight;
    private final int accumulation;
    private final Set<Integer> eosIds;
    private final int topK;
    private final Supplier<Map<String, Double>> evaluation;
    private final int vocab;
    private ChunkedHeadLoss head;
    private TopKCache teacherCache;
    private Map<Example, Integer> cacheIndex;
    private long cachedStep = -1;
    private List<List<Example>> cachedBatches;
    private int diagnosticsEvery = 1;
    private Map<Example, Integer> denseIndex;
    private float[][] denseRows;
    private boolean pipelineAllowed = true;
    private boolean pipelineChecked;
    private TeacherPipeline pipeline;

    /**
     * @param evaluation validation metrics of the current student (e.g. the lab's proxy/golden), or empty
     */
    public KdObjective(Transformer student, Transformer teacher, DataSource source, DistillationLoss loss, double ceWeight,
                       int accumulation, Set<Integer> eosIds, Supplier<Map<String, Double>> evaluation) {
        this(student, teacher, source, loss, ceWeight, accumulation, eosIds, evaluation, 0);
    }

    /**
     * @param topK when > 0 the teacher is reduced to its top-k log-probs plus one tail bucket (docs/losses.md)
     *             and the loss runs on those k+1 classes
     */
    public KdObjective(Transformer student, Transformer teacher, DataSource source, DistillationLoss loss, double ceWeight,
                       int accumulation, Set<Integer> eosIds, Supplier<Map<String, Double>> evaluation, int topK) {
        this.topK = topK;
        this.student = student;
        this.teacher = teacher;
        this.source = source;
        this.loss = loss;
        this.ceWeight = ceWeight;
        this.accumulation = accumulation;
        this.eosIds = eosIds;
        this.evaluation = evaluation;
        this.vocab = teacher == null ? student.config().vocabSize() : Math.min(student.config().vocabSize(), teacher.config().vocabSize());
        this.head = new ChunkedHeadLoss(loss, ChunkedHeadLoss.rowsFor(vocab), student.config().finalLogitSoftcap());
    }

    /**
     * Reads the teacher from a precomputed top-k cache of the offline examples instead of running it
     * (the teacher passed to the constructor may then be null).
     */
    public KdObjective useTeacherCache(TopKCache cache, List<Example> examples) {
        this.teacherCache = cache;
        this.cacheIndex = new java.util.IdentityHashMap<>();
        for (int i = 0; i < examples.size(); i++) {
            cacheIndex.put(examples.get(i), i);
        }
        return this;
    }

    /**
     * For an offline dataset: runs the frozen teacher once over every example (in batches of {@code batch})
     * and keeps its log-probabilities along the responses, so the training steps need no teacher forward.
     * Exact: the loss and the diagnostics normalise every position themselves, and a log-softmax only
     * shifts a position's logits by a constant (at any temperature). Memory: one float per response token
     * and vocabulary id (e.g. 512 examples × 36 tokens × 181 ids = 13 MB); meant for small vocabularies.
     */
    public KdObjective precomputeTeacher(List<Example> examples, int batch) {
        if (teacher == null) {
            throw new IllegalStateException("precomputeTeacher needs the teacher");
        }
        denseIndex = new java.util.IdentityHashMap<>();
        denseRows = new float[examples.size()][];
        for (int s = 0; s < examples.size(); s += batch) {
            int e = Math.min(examples.size(), s + batch);
            try (NDManager m = teacher.manager().newSubManager()) {
                NDArray logP = common(LanguageModel.responseLogits(teacher, m, Example.prompts(examples.subList(s, e)), Example.responses(examples.subList(s, e))).logits()).logSoftmax(2);
                int r = (int) logP.getShape().get(1);
                float[] flat = logP.toFloatArray();
                for (int i = s; i < e; i++) {
                    int len = examples.get(i).response().length;
                    denseRows[i] = java.util.Arrays.copyOfRange(flat, (i - s) * r * vocab, ((i - s) * r + len) * vocab);
                    denseIndex.put(examples.get(i), i);
                }
            }
        }
        return this;
    }

    /**
     * Computes the diagnostics (forward/reverse KL per token, top-k overlap, teacher masses) on every k-th
     * step only: they are logged as means over the steps that computed them, and on small models they cost
     * a noticeable part of a step. The loss, response length and truncation rate are reported every step.
     */
    public KdObjective diagnosticsEvery(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("diagnosticsEvery needs k >= 1");
        }
        this.diagnosticsEvery = k;
        return this;
    }

    /** Rows per block of the head and the loss ({@link ChunkedHeadLoss}); by default {@link ChunkedHeadLoss#rowsFor} the vocabulary. */
    public KdObjective headBlockRows(int rows) {
        this.head = new ChunkedHeadLoss(loss, rows, student.config().finalLogitSoftcap());
        return this;
    }

    /**
     * Whether a live teacher over offline data runs its next forward pass on a thread of its own while the
     * student trains ({@link TeacherPipeline}; on by default, used only with at least 2 intra-op threads).
     */
    public KdObjective pipelineTeacher(boolean on) {
        this.pipelineAllowed = on;
        return this;
    }

    /** The precomputed teacher log-probabilities of a batch [B, R, V] (zeros, masked, past each response). */
    private NDArray denseTeacher(NDManager m, List<Example> batch, int r) {
        float[] flat = new float[batch.size() * r * vocab];
        for (int b = 0; b < batch.size(); b++) {
            Integer id = denseIndex.get(batch.get(b));
            if (id == null) {
                throw new IllegalStateException("a batch example is not in the precomputed teacher");
            }
            float[] row = denseRows[id];
            System.arraycopy(row, 0, flat, b * r * vocab, row.length);
        }
        return m.create(flat, new Shape(batch.size(), r, vocab));
    }

    /** The batches of a step are drawn once (online sources sample), before any micro-batch's loss. */
    private List<List<Example>> batches(long step) {
        if (step != cachedStep) {
            List<List<Example>> b = new ArrayList<>(accumulation);
            for (int micro = 0; micro < accumulation; micro++) {
                b.add(source.batch(step, micro));
            }
            cachedBatches = b;
            cachedStep = step;
        }
        return cachedBatches;
    }

    /** Opens the teacher pipeline, if this run has one, before anything runs on the training thread. */
    @Override
    public void start() {
        pipeline();
    }

    @Override
    public Loss loss(NDManager m, long step, int micro) {
        pipeline(); // before the student's forward pass: opening it changes this thread's engine threads
        List<List<Example>> all = batches(step);
        long stepTokens = 0;
        for (List<Example> b : all) {
            for (Example e : b) {
                stepTokens += e.response().length;
            }
        }
        List<Example> batch = all.get(micro);
        long tokens = 0;
        double length = 0;
        int truncated = 0;
        for (Example e : batch) {
            tokens += e.length();
            length += e.response().length;
            if (!eosIds.contains((int) e.response()[e.response().length - 1])) {
                truncated++;
            }
        }
        LanguageModel.ResponseHidden s = LanguageModel.responseHidden(student, m, Example.prompts(batch), Example.responses(batch));
        int b = batch.size();
        int r = (int) s.mask().getShape().get(1);
        ChunkedHeadLoss.TeacherRows teacherRows = teacherRows(m, batch, r, step, micro);
        boolean diagnose = step % diagnosticsEvery == 0;
        int diagnosticsK = teacherCache != null ? teacherCache.k() : Math.min(topK > 0 ? topK : 8, vocab);
        ChunkedHeadLoss.Result result = head.compute(
                s.hidden().reshape(b * r, -1), student.headWeight(), vocab, teacherRows, s.mask().reshape(b * r),
                ceWeight > 0 ? s.targets().reshape(b * r) : null, ceWeight, 1.0 / stepTokens, diagnose ? diagnosticsK : 0);
        Map<String, Double> extra = new LinkedHashMap<>();
        if (ceWeight > 0) {
            extra.put("ce", result.nll() / Math.max(1.0, length));
        }
        extra.put("kd_loss_tok", (result.divergence() + ceWeight * result.nll()) / Math.max(1.0, length));
        Diagnostics d = result.diagnostics();
        if (d != null) {
            extra.put("fkl_tok", d.forwardKl());
            extra.put("rkl_tok", d.reverseKl());
            if (!Double.isNaN(d.teacherMassOnStudentTopK())) {
                extra.put("teacher_mass_on_student_topk", d.teacherMassOnStudentTopK());
            }
            extra.put("teacher_topk_mass", d.teacherTopKMass());
            extra.put("topk_overlap", d.topKOverlap());
        }
        extra.put("response_len", length / batch.size());
        extra.put("truncation_rate", truncated / (double) batch.size());
        return new Loss(result.objective(), tokens, extra);
    }

    /**
     * The teacher's side of the micro-batch's B·R response positions, block by block: the top-k cache, the
     * precomputed log-probabilities, or the live teacher's head over its final hidden states (run once here,
     * without gradient); reduced to its top-k when {@code topK} > 0.
     */
    private ChunkedHeadLoss.TeacherRows teacherRows(NDManager m, List<Example> batch, int r, long step, int micro) {
        int b = batch.size();
        if (teacherCache != null) {
            int[] ids = new int[b];
            for (int i = 0; i < ids.length; i++) {
                Integer id = cacheIndex.get(batch.get(i));
                if (id == null) {
                    throw new IllegalStateException("a batch example is not in the teacher cache");
                }
                ids[i] = id;
            }
            SparseTeacher.Tensors cached = teacherCache.tensors(m, ids, r);
            NDArray indices = cached.indices().reshape(b * r, -1);
            NDArray logProbs = cached.logProbs().reshape(b * r, -1);
            return (from, to, block) -> new ChunkedHeadLoss.TeacherBlock(null, new SparseTeacher.Tensors(
                    ChunkedHeadLoss.rows(indices, from, to, block).expandDims(0), ChunkedHeadLoss.rows(logProbs, from, to, block).expandDims(0),
                    cached.vocabSize(), cached.temperature()));
        }
        NDArray flat;
        boolean hidden = denseRows == null;
        if (hidden) {
            flat = liveTeacherHidden(m, batch, step, micro).reshape(b * r, -1);
        } else {
            flat = denseTeacher(m, batch, r).reshape(b * r, vocab);
        }
        return (from, to, block) -> {
            NDArray rows = ChunkedHeadLoss.rows(flat, from, to, block);
            NDArray logits = (hidden ? common(teacher.logits(rows)) : rows).expandDims(0);
            return new ChunkedHeadLoss.TeacherBlock(logits,
                    topK > 0 ? SparseTeacher.tensorsFromLogits(logits, Math.min(topK, vocab), loss.temperature()) : null);
        };
    }

    /** The live teacher's final hidden states along the batch's responses [B, R, H], through the pipeline when there is one. */
    private NDArray liveTeacherHidden(NDManager m, List<Example> batch, long step, int micro) {
        TeacherPipeline p = pipeline();
        if (p == null) {
            return teacherForward(batch).apply(m);
        }
        boolean lastMicro = micro + 1 == accumulation;
        List<Example> next = lastMicro ? source.batch(step + 1, 0) : batches(step).get(micro + 1);
        long key = step * accumulation + micro;
        return p.take(m, key, teacherForward(batch), key + 1, teacherForward(next));
    }

    private java.util.function.Function<NDManager, NDArray> teacherForward(List<Example> batch) {
        return scope -> LanguageModel.responseHidden(teacher, scope, Example.prompts(batch), Example.responses(batch)).hidden().stopGradient();
    }

    /**
     * Opened on the first live-teacher batch, on the training thread: only for offline data (whose batches
     * are known ahead and never need the teacher for sampling meanwhile).
     */
    private TeacherPipeline pipeline() {
        if (!pipelineChecked) {
            pipelineChecked = true;
            if (pipelineAllowed && teacher != null && source instanceof DataSource.Offline) {
                pipeline = TeacherPipeline.open().orElse(null);
            }
        }
        return pipeline;
    }

    /** Closes the teacher pipeline, if one was opened (on the training thread: it restores that thread's engine threads). */
    @Override
    public void close() {
        if (pipeline != null) {
            pipeline.close();
            pipeline = null;
        }
        pipelineChecked = false;
    }

    /** Logits [.., V'] cut to the common vocabulary (last axis). */
    private NDArray common(NDArray logits) {
        Shape shape = logits.getShape();
        return shape.get(shape.dimension() - 1) == vocab ? logits : logits.get("..., :" + vocab);
    }

    @Override
    public Map<String, Double> evaluate(NDManager m) {
        return evaluation.get();
    }

    @Override
    public double stepsPerEpoch() {
        return source.stepsPerEpoch();
    }
}
