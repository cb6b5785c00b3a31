package org.distill4j.gad;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Example;
import org.distill4j.util.Scalars;
import org.distill4j.util.Moments;

/**
 * The discriminator's side of a GAD step: scores the teacher response and the N samples of every prompt, one
 * forward pass per micro-batch, and turns the samples' scores into the generator's rewards, with or without a
 * Bradley–Terry update of the discriminator itself.
 *
 * @param manager the manager under which each micro-batch's arrays are made (the generator's)
 */
record DiscriminatorPass(Discriminator discriminator, NDManager manager, GadConfig cfg) {
    /**
     * Backpropagates the Bradley–Terry loss of every micro-batch (the caller steps the optimizer) and returns the
     * samples' scores: the rewards, from the weights before this update.
     */
    float[][] train(List<Example> batch, long[][][] samples, Map<String, Double> v) {
        int n = cfg.samples();
        float[][] rewards = new float[batch.size()][];
        double loss = 0;
        double acc = 0;
        double teacherScore = 0;
        for (int[] c : cfg.microBatches(batch.size())) {
            int size = c[1] - c[0];
            try (NDManager m = manager.newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray scores = scoreRows(m, batch, samples, c);
                NDArray teacher = scores.get("0:" + size);
                NDArray student = scores.get(size + ":").reshape(size, n);
                NDArray l = BradleyTerry.loss(teacher, student);
                gc.backward(Scalars.mul(l, (double) size / batch.size()));
                loss += l.getFloat() * size;
                acc += BradleyTerry.accuracy(teacher, student) * size;
                float[] t = teacher.toFloatArray();
                float[] s = student.toFloatArray();
                for (int i = 0; i < size; i++) {
                    rewards[c[0] + i] = java.util.Arrays.copyOfRange(s, i * n, (i + 1) * n);
                    teacherScore += t[i];
                }
            }
        }
        v.put("d_loss", loss / batch.size());
        v.put("d_acc", acc / batch.size());
        v.put("teacher_score", teacherScore / batch.size());
        putRewardStats(rewards, v);
        return rewards;
    }

    /** Rewards from a frozen discriminator (no gradient). */
    float[][] score(List<Example> batch, long[][][] samples, Map<String, Double> v) {
        int n = cfg.samples();
        float[][] rewards = new float[batch.size()][];
        double acc = 0;
        for (int[] c : cfg.microBatches(batch.size())) {
            int size = c[1] - c[0];
            try (NDManager m = manager.newSubManager()) {
                NDArray scores = scoreRows(m, batch, samples, c);
                NDArray teacher = scores.get("0:" + size);
                NDArray student = scores.get(size + ":").reshape(size, n);
                acc += BradleyTerry.accuracy(teacher, student) * size;
                float[] s = student.toFloatArray();
                for (int i = 0; i < size; i++) {
                    rewards[c[0] + i] = java.util.Arrays.copyOfRange(s, i * n, (i + 1) * n);
                }
            }
        }
        v.put("d_acc", acc / batch.size());
        putRewardStats(rewards, v);
        return rewards;
    }

    /** Discriminator scores of the chunk's teacher responses, then of its samples (prompt-major). */
    private NDArray scoreRows(NDManager m, List<Example> batch, long[][][] samples, int[] c) {
        List<long[]> prompts = new ArrayList<>();
        List<long[]> responses = new ArrayList<>();
        for (int i = c[0]; i < c[1]; i++) {
            prompts.add(batch.get(i).prompt());
            responses.add(batch.get(i).response());
        }
        for (int i = c[0]; i < c[1]; i++) {
            for (long[] y : samples[i]) {
                prompts.add(batch.get(i).prompt());
                responses.add(y);
            }
        }
        return discriminator.scores(m, prompts, responses);
    }

    private static void putRewardStats(float[][] rewards, Map<String, Double> v) {
        double sum = 0;
        double groupStd = 0;
        int count = 0;
        for (float[] g : rewards) {
            Moments m = Moments.of(g);
            sum += m.mean() * g.length;
            count += g.length;
            groupStd += m.sampleStd();
        }
        v.put("reward_mean", sum / count);
        v.put("reward_group_std", groupStd / rewards.length);
    }
}
