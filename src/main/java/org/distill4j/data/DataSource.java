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

    /**
     * Fresh teacher samples for every batch. The teacher is frozen, so the batches of {@code lookahead}
     * consecutive steps (windows aligned at multiples of it, so a resumed run draws the same windows) can
     * be sampled in one generation call, which costs far less per row than many small ones on small
     * models. Every row draws from its own seeded stream: the samples do not depend on the lookahead.
     */
    record OnlineTeacher(Sampler teacher, List<long[]> prompts, BatchOrder order, SamplingParams params, Lookahead lookahead)
            implements DataSource {
        public OnlineTeacher(Sampler teacher, List<long[]> prompts, BatchOrder order, SamplingParams params) {
            this(teacher, prompts, order, params, new Lookahead(1, 1));
        }

        @Override
        public List<Example> batch(long step, int micro) {
            if (lookahead.steps() <= 1) {
                return sample(teacher, prompts, order, params, step, micro, 0x7EAC4E2L);
            }
            return lookahead.get(step, micro, (first, count) -> {
                List<long[]> rows = new ArrayList<>();
                List<Long> seeds = new ArrayList<>();
                for (long s = first; s < first + count; s++) {
                    for (int m = 0; m < lookahead.micros(); m++) {
                        int[] idx = order.indices(s, m);
                        long[] rowSeeds = rowSeeds(params, 0x7EAC4E2L, s, m, idx.length);
                        for (int i = 0; i < idx.length; i++) {
                            rows.add(prompts.get(idx[i]));
                            seeds.add(rowSeeds[i]);
                        }
                    }
                }
                long[] seedArray = seeds.stream().mapToLong(Long::longValue).toArray();
                List<Sample> samples = teacher.generate(rows, seedArray, params.withN(1));
                List<List<Example>> out = new ArrayList<>();
                int r = 0;
                for (long s = first; s < first + count; s++) {
                    for (int m = 0; m < lookahead.micros(); m++) {
                        int n = order.batchSize();
                        List<Example> b = new ArrayList<>(n);
                        for (int i = 0; i < n; i++, r++) {
                            b.add(new Example(rows.get(r), samples.get(r).tokens()));
                        }
                        out.add(b);
                    }
                }
                return out;
            });
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

    /**
     * The batches of a window of {@code steps} consecutive optimizer steps (× {@code micros} micro-batches),
     * sampled together and kept until a step outside the window is asked for.
     */
    final class Lookahead {
        /** Samples the micro-batches of steps [first, first + count), in (step, micro) order. */
        interface Window {
            List<List<Example>> sample(long first, int count);
        }

        private final int steps;
        private final int micros;
        private long first = -1;
        private List<List<Example>> batches;

        /** @param steps window length in optimizer steps; @param micros micro-batches per step */
        public Lookahead(int steps, int micros) {
            if (steps < 1 || micros < 1) {
                throw new IllegalArgumentException("lookahead needs steps >= 1 and micros >= 1");
            }
            this.steps = steps;
            this.micros = micros;
        }

        public int steps() {
            return steps;
        }

        public int micros() {
            return micros;
        }

        synchronized List<Example> get(long step, int micro, Window window) {
            long start = step - Math.floorMod(step, steps);
            if (start != first) {
                batches = window.sample(start, steps);
                first = start;
            }
            return batches.get((int) (step - start) * micros + micro);
        }
    }

    /** The stream seed of every row of micro-batch (step, micro): independent of how rows are batched. */
    private static long[] rowSeeds(SamplingParams params, long salt, long step, int micro, int rows) {
        SplittableRandom base = new SplittableRandom(params.seed() ^ salt ^ (step * 0x9E3779B97F4A7C15L + micro));
        long[] out = new long[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = base.nextLong();
        }
        return out;
    }

    private static List<Example> sample(Sampler sampler, List<long[]> prompts, BatchOrder order, SamplingParams params,
                                        long step, int micro, long salt) {
        int[] idx = order.indices(step, micro);
        List<long[]> batch = new ArrayList<>(idx.length);
        for (int i : idx) {
            batch.add(prompts.get(i));
        }
        List<Sample> samples = sampler.generate(batch, rowSeeds(params, salt, step, micro, idx.length), params.withN(1));
        List<Example> out = new ArrayList<>(idx.length);
        for (int i = 0; i < idx.length; i++) {
            out.add(new Example(batch.get(i), samples.get(i).tokens()));
        }
        return out;
    }
}
