package org.distill4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.ForwardKl;
import org.distill4j.loss.ChunkedHeadLoss;
import org.distill4j.train.AdamW;
import org.distill4j.train.AdamWConfig;
import org.distill4j.train.TeacherPipeline;

/**
 * pytorch_peer.py's kd workload: teacher = medium (no gradient), student = small with vocabulary 8192,
 * forward KL over the full vocabulary on every position, backward + AdamW on the student; batch 8,
 * sequence 256; tok/s = 8·256 / step time (mean of 5 steps after 2 warm-up).
 */
public final class KdBench {
    private KdBench() {}

    public static double tokensPerSecond(NDManager parent, int warmup, int reps) {
        int vocab = BenchShape.MEDIUM.vocab();
        try (Transformer teacher = Transformer.random(BenchShape.MEDIUM.config(), parent, 1);
             Transformer student = Transformer.random(BenchShape.SMALL.config(vocab), parent, 2);
             AdamW opt = new AdamW(student.parameters(), AdamWConfig.DEFAULT)) {
            student.setTrainable(true);
            int b = 8;
            int t = BenchShape.SEQ;
            SplittableRandom rng = new SplittableRandom(0);
            long[] ids = new long[b * t];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rng.nextInt(vocab);
            }
            ChunkedHeadLoss loss = new ChunkedHeadLoss(new DistillationLoss(new ForwardKl(), 1.0), ChunkedHeadLoss.rowsFor(vocab));
            // as `kd --source offline` runs it: the teacher's next forward pass on its own thread (TeacherPipeline)
            java.util.Optional<TeacherPipeline> pipeline = TeacherPipeline.open();
            try {
                Function<NDManager, NDArray> teacherForward = m -> teacher.hidden(m.create(ids, new Shape(b, t)), null, null, null).reshape(b * t, -1);
                long t0 = 0;
                for (int i = 0; i < warmup + reps; i++) {
                    if (i == warmup) {
                        t0 = System.nanoTime();
                    }
                    step(teacher, student, opt, loss, ids, b, t, pipeline.orElse(null), i, teacherForward);
                }
                return b * t / ((System.nanoTime() - t0) / 1e9 / reps);
            } finally {
                pipeline.ifPresent(TeacherPipeline::close);
            }
        }
    }

    /**
     * One step as {@code ./distill kd} takes it (KdObjective): the teacher's final hidden states without
     * gradient (computed during the previous step when there is a pipeline), then both heads and the
     * divergence block by block ({@link ChunkedHeadLoss}), backward, AdamW.
     */
    private static void step(Transformer teacher, Transformer student, AdamW opt, ChunkedHeadLoss loss, long[] ids,
                             int b, int t, TeacherPipeline pipeline, long i, Function<NDManager, NDArray> teacherForward) {
        int vocab = student.config().vocabSize();
        try (NDManager m = student.manager().newSubManager()) {
            NDArray input = m.create(ids, new Shape(b, t));
            NDArray teacherHidden = pipeline == null ? teacherForward.apply(m) : pipeline.take(m, i, teacherForward, i + 1, teacherForward);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray hidden = student.hidden(input, null, null, null).reshape(b * t, -1);
                ChunkedHeadLoss.TeacherRows rows = (from, to, block) -> new ChunkedHeadLoss.TeacherBlock(
                        teacher.logits(ChunkedHeadLoss.rows(teacherHidden, from, to, block)).expandDims(0), null);
                // token mean: every position weighs 1 / (b·t)
                gc.backward(loss.compute(hidden, student.headWeight(), vocab, rows, m.ones(new Shape(b * t)), null, 0, 1.0 / (b * t), 0)
                        .objective());
            }
        }
        opt.step(1e-4);
        opt.zeroGradients();
    }
}
