package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.BatchOrder;
import org.distill4j.data.DataSource;
import org.distill4j.data.Example;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.GradientSnapshot;
import org.distill4j.loss.Jsd;
import org.distill4j.loss.Reduction;
import org.distill4j.loss.SparseTeacher;
import org.junit.jupiter.api.Test;

/**
 * KdObjective's block-wise loss is the plain definition on its batch: Σ over response tokens of the divergence
 * between the teacher's and the student's full logits (plus the weighted cross-entropy), divided by the step's
 * response tokens; same value, same gradient on every student parameter. Responses of different lengths, a
 * student vocabulary padded beyond the teacher's and the reverse, with and without a top-k teacher.
 */
class KdObjectiveTest {
    private static final List<Example> BATCH = List.of(
            new Example(new long[] {1, 5, 9}, new long[] {7, 8, 11, 2}),
            new Example(new long[] {1, 12}, new long[] {3, 2}),
            new Example(new long[] {1, 4, 4, 6}, new long[] {20, 21, 22, 23, 24, 2}));

    @Test
    void blockWiseLossEqualsThePlainDefinition() {
        check(0, 5, 32, 36);
    }

    @Test
    void blockWiseLossEqualsThePlainDefinitionAgainstATopKTeacher() {
        check(5, 4, 32, 36);
    }

    @Test
    void oneBlockLossEqualsThePlainDefinition() {
        check(0, 1000, 32, 36);
    }

    @Test
    void teacherVocabularyPaddedBeyondTheStudents() {
        check(0, 5, 36, 32);
    }

    /**
     * With the teacher pipeline, a loss is the same to the bit whether the teacher's pass for it ran ahead
     * (steps in order) or on demand (a fresh objective per step, as after a resume): results do not depend
     * on timing. Two micro-batches per step, so the pipeline crosses micro-batch and step boundaries.
     */
    @Test
    void teacherRunAheadOrOnDemandGivesTheSameLosses() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = teacher(32, m);
             Transformer student = student(32, m)) {
            DataSource source = new DataSource.Offline(BATCH, new BatchOrder(BATCH.size(), 1, 2, 0));
            DistillationLoss loss = new DistillationLoss(new Jsd(0.4), 1.5);
            List<Float> ahead = new java.util.ArrayList<>();
            try (KdObjective objective = new KdObjective(student, teacher, source, loss, 0, 2, Set.of(2), Map::of)) {
                for (long step = 0; step < 3; step++) {
                    for (int micro = 0; micro < 2; micro++) {
                        try (NDManager s = m.newSubManager()) {
                            ahead.add(objective.loss(s, step, micro).value().getFloat());
                        }
                    }
                }
            }
            List<Float> onDemand = new java.util.ArrayList<>();
            for (long step = 0; step < 3; step++) {
                for (int micro = 0; micro < 2; micro++) {
                    try (KdObjective objective = new KdObjective(student, teacher, source, loss, 0, 2, Set.of(2), Map::of);
                         NDManager s = m.newSubManager()) {
                        onDemand.add(objective.loss(s, step, micro).value().getFloat());
                    }
                }
            }
            assertThat(onDemand).isEqualTo(ahead);
            try (KdObjective sequential = new KdObjective(student, teacher, source, loss, 0, 2, Set.of(2), Map::of).pipelineTeacher(false);
                 NDManager s = m.newSubManager()) {
                // without the pipeline the student runs with both engine threads: other kernel partitions, rounding only
                assertThat(sequential.loss(s, 0, 0).value().getFloat()).as("without the pipeline: the same up to rounding")
                        .isCloseTo(ahead.get(0), within(1e-5f * Math.max(1f, Math.abs(ahead.get(0)))));
            }
        }
    }

    /**
     * Exact resume on any CPU rests on this: the training thread's engine threads are fixed before the run computes
     * anything (the student's first forward pass, the first evaluation), not when the first teacher batch is needed.
     */
    @Test
    void theTeacherThreadIsSetUpBeforeAnythingRuns() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = teacher(32, m);
             Transformer student = student(32, m)) {
            DataSource source = new DataSource.Offline(BATCH, new BatchOrder(BATCH.size(), 1, 2, 0));
            int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
            try (KdObjective objective = new KdObjective(student, teacher, source, new DistillationLoss(new Jsd(0.4), 1.5), 0, 2,
                    Set.of(2), Map::of)) {
                objective.start();
                assertThat(ai.djl.pytorch.jni.JniUtils.getNumThreads()).as("one thread left to the teacher").isEqualTo(threads - 1);
            }
            assertThat(ai.djl.pytorch.jni.JniUtils.getNumThreads()).isEqualTo(threads);
        }
    }

    private static Transformer teacher(int vocab, NDManager m) {
        return Transformer.random(ModelConfig.llama(vocab, 24, 48, 2, 4, 2, 32, true, 1, 2, 0), m, 1);
    }

    private static Transformer student(int vocab, NDManager m) {
        return Transformer.random(ModelConfig.llama(vocab, 16, 32, 2, 4, 2, 32, true, 1, 2, 0), m, 2);
    }

    /** The vocabularies differ only by padding: both are compared on the first min(teacher, student) ids. */
    private static void check(int topK, int blockRows, int teacherVocab, int studentVocab) {
        String common = ":, :, :" + Math.min(teacherVocab, studentVocab);
        DistillationLoss loss = new DistillationLoss(new Jsd(0.4), 1.5);
        double ce = 0.3;
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = teacher(teacherVocab, m);
             Transformer student = student(studentVocab, m)) {
            student.setTrainable(true);
            long stepTokens = BATCH.stream().mapToLong(e -> e.response().length).sum();

            float plain;
            try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                List<long[]> prompts = BATCH.stream().map(Example::prompt).toList();
                List<long[]> responses = BATCH.stream().map(Example::response).toList();
                LanguageModel.ResponseLogits st = LanguageModel.responseLogits(student, s, prompts, responses);
                NDArray studentLogits = st.logits().get(common);
                NDArray teacherLogits = LanguageModel.responseLogits(teacher, s, prompts, responses).logits().get(common).stopGradient();
                NDArray perToken = topK > 0
                        ? loss.perToken(studentLogits, SparseTeacher.tensorsFromLogits(teacherLogits, topK, loss.temperature()), st.mask())
                        : loss.perToken(studentLogits, teacherLogits, st.mask());
                NDArray nll = studentLogits.logSoftmax(2).gather(st.targets().expandDims(2), 2).squeeze(2).neg();
                NDArray total = Reduction.SUM.reduce(perToken, st.mask()).add(Reduction.SUM.reduce(nll, st.mask()).mul((float) ce))
                        .div(stepTokens);
                plain = total.getFloat();
                gc.backward(total);
            }
            Map<String, float[]> want = GradientSnapshot.take(student);

            DataSource source = new DataSource.Offline(BATCH, new BatchOrder(BATCH.size(), BATCH.size(), 1, 0));
            KdObjective objective = new KdObjective(student, teacher, source, loss, ce, 1, Set.of(2), Map::of, topK)
                    .headBlockRows(blockRows);
            float blockWise;
            try (objective; NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Objective.Loss l = objective.loss(s, 0, 0);
                blockWise = l.value().getFloat();
                gc.backward(l.value());
            }
            Map<String, float[]> got = GradientSnapshot.take(student);

            // the objective's blocks against one autograd graph over whole logits: the same mathematics in other shapes and
            // reduction orders, so float32 rounding (~1e-7 relative per op) is all that may differ
            assertThat(blockWise).isCloseTo(plain, within(1e-5f * Math.max(1f, Math.abs(plain))));
            GradientSnapshot.assertClose(want, got, 1e-4);
        }
    }
}
