package org.distill4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;

/**
 * Where distillation batches come from (the data sources compared in the teacher-hacking paper, plus
 * GKD's mixture). A batch is a pure function of (seed, step, micro-batch) and the models' current
 * weights, so a resumed run draws exactly the batches an uninterrupted one would.
 */
public sealed interface DataSource permits DataSource.Offline, DataSource.OnlineTeacher, DataSource.OnlineStudent,
        DataSource.Mixture {

    /** The examples of micro-batch {@code micro} of optimizer step {@code step}. */
    List<Example> batch(long step, int micro);

    /** Optimizer steps per pass over the prompts (or the offline set). */
    double stepsPerEpoch();

    /** The CLI name: offline, online-teacher, online-student, mixed. */
    String name();

    /** A fixed dataset of P prompts × G teacher generations, reused every epoch. */
    record Offline(List<Example> examples, BatchOrder order) implements DataSource {
        @Override
        public List<Example> batch(long step, int micro) {
            List<Example> out = new ArrayList<>();
            for (int i : order.indices(step, micro)) {
                out.add(examples.get(i));
            }
            return out;
        }

        @Override
        public double stepsPerEpoch() {
            return order.stepsPerEpoch();
        }

        @Override
        public String name() {
            return "offline";
        }
    }

    /** Fresh teacher samples for every batch. */
    record OnlineTeacher(Sampler teacher, List<long[]> prompts, BatchOrder order, SamplingParams params) implements DataSource {
        @Override
        public List<Example> batch(long step, int micro) {
            return sample(teacher, prompts, order, params, step, micro, 0x7EAC4E2L);
        }

        @Override
        public double stepsPerEpoch() {
            return order.stepsPerEpoch();
        }

        @Override
        public String name() {
            return "online-teacher";
        }
    }

    /** Fresh samples from the current student (on-policy; no gradient flows through sampling). */
    record OnlineStudent(Sampler student, List<long[]> prompts, BatchOrder order, SamplingParams params) implements DataSource {
        @Override
        public List<Example> batch(long step, int micro) {
            return sample(student, prompts, order, params, step, micro, 0x57DE47L);
        }

        @Override
        public double stepsPerEpoch() {
            return order.stepsPerEpoch();
        }

        @Override
        public String name() {
            return "online-student";
        }
    }

    /** Each micro-batch on-policy with probability λ, from {@code other} otherwise (GKD's λ). */
    record Mixture(double lambda, OnlineStudent onPolicy, DataSource other, long seed) implements DataSource {
        public Mixture {
            if (!(lambda >= 0 && lambda <= 1)) {
                throw new IllegalArgumentException("lambda must be in [0, 1], got " + lambda);
            }
        }

        public boolean onPolicyAt(long step, int micro) {
            long h = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + micro * 0x94D049BB133111EBL;
            return new SplittableRandom(h).nextDouble() < lambda;
        }

        @Override
        public List<Example> batch(long step, int micro) {
            return onPolicyAt(step, micro) ? onPolicy.batch(step, micro) : other.batch(step, micro);
        }

        @Override
        public double stepsPerEpoch() {
            return other.stepsPerEpoch();
        }

        @Override
        public String name() {
            return "mixed";
        }
    }

    private static List<Example> sample(Sampler sampler, List<long[]> prompts, BatchOrder order, SamplingParams params,
                                        long step, int micro, long salt) {
        int[] idx = order.indices(step, micro);
        List<long[]> batch = new ArrayList<>(idx.length);
        for (int i : idx) {
            batch.add(prompts.get(i));
        }
        long seed = new SplittableRandom(params.seed() ^ salt ^ (step * 0x9E3779B97F4A7C15L + micro)).nextLong();
        List<Sample> samples = sampler.generate(batch, params.withN(1).withSeed(seed));
        List<Example> out = new ArrayList<>(idx.length);
        for (int i = 0; i < idx.length; i++) {
            out.add(new Example(batch.get(i), samples.get(i).tokens()));
        }
        return out;
    }
}
