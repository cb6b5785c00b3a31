package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
import org.distill4j.loss.Diagnostics;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.Reduction;
import org.distill4j.loss.SparseTeacher;
import org.distill4j.loss.TopKCache;

/**
 * White-box distillation: the chosen divergence between the teacher's and the student's next-token
 * distributions along the responses of each batch (teacher forward without gradient), averaged over
 * the response tokens of the optimizer step, plus an optional cross-entropy on the response tokens.
 * Vocabularies that differ only by padding (e.g. 151936 vs 152064) are compared on the common ids.
 */
public final class KdObjective implements Objective {
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
    private TopKCache teacherCache;
    private Map<Example, Integer> cacheIndex;
    private long cachedStep = -1;
    private List<List<Example>> cachedBatches;
    private int diagnosticsEvery = 1;
    private Map<Example, Integer> denseIndex;
    private float[][] denseRows;

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
                NDArray logP = common(LanguageModel.responseLogits(teacher, m, examples.subList(s, e)).logits()).logSoftmax(2);
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
        return m.create(flat, new ai.djl.ndarray.types.Shape(batch.size(), r, vocab));
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

    @Override
    public Loss loss(NDManager m, long step, int micro) {
        List<List<Example>> all = batches(step);
        long stepTokens = 0;
        for (List<Example> b : all) {
            for (Example e : b) {
                stepTokens += e.response().length;
            }
        }
        List<Example> batch = all.get(micro);
        List<long[]> prompts = new ArrayList<>(batch.size());
        List<long[]> responses = new ArrayList<>(batch.size());
        long tokens = 0;
        double length = 0;
        int truncated = 0;
        for (Example e : batch) {
            prompts.add(e.prompt());
            responses.add(e.response());
            tokens += e.length();
            length += e.response().length;
            if (!eosIds.contains((int) e.response()[e.response().length - 1])) {
                truncated++;
            }
        }
        LanguageModel.ResponseLogits s = LanguageModel.responseLogits(student, m, prompts, responses);
        NDArray studentLogits = common(s.logits());
        NDArray perToken;
        Diagnostics d = null;
        boolean diagnose = step % diagnosticsEvery == 0;
        if (teacherCache != null) {
            int[] ids = new int[batch.size()];
            for (int i = 0; i < ids.length; i++) {
                Integer id = cacheIndex.get(batch.get(i));
                if (id == null) {
                    throw new IllegalStateException("a batch example is not in the teacher cache");
                }
                ids[i] = id;
            }
            SparseTeacher.Tensors cached = teacherCache.tensors(m, ids, (int) studentLogits.getShape().get(1));
            perToken = loss.perToken(studentLogits, cached, s.mask());
            if (diagnose) {
                d = Diagnostics.of(studentLogits, cached, s.mask());
            }
        } else {
            NDArray teacherLogits = denseRows != null ? denseTeacher(m, batch, (int) studentLogits.getShape().get(1))
                    : common(LanguageModel.responseLogits(teacher, m, prompts, responses).logits()).stopGradient();
            perToken = topK > 0
                    ? loss.perToken(studentLogits, SparseTeacher.tensorsFromLogits(teacherLogits, Math.min(topK, vocab), loss.temperature()), s.mask())
                    : loss.perToken(studentLogits, teacherLogits, s.mask());
            if (diagnose) {
                d = Diagnostics.of(studentLogits, teacherLogits, s.mask(), Math.min(topK > 0 ? topK : 8, vocab), 1.0);
            }
        }
        NDArray value = Reduction.SUM.reduce(perToken, s.mask());
        Map<String, Double> extra = new LinkedHashMap<>();
        if (ceWeight > 0) {
            NDArray ce = s.targetLogProbs().sum().neg();
            extra.put("ce", ce.toFloatArray()[0] / Math.max(1.0, length));
            value = value.add(ce.mul(ceWeight));
        }
        extra.put("kd_loss_tok", value.toFloatArray()[0] / Math.max(1.0, length));
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
        return new Loss(value.div(stepTokens), tokens, extra);
    }

    private NDArray common(NDArray logits) {
        return logits.getShape().get(2) == vocab ? logits : logits.get(":, :, :" + vocab);
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
