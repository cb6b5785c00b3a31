package org.distill4j.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;

/**
 * Batched, KV-cached sampling of many prompts, driving {@link StepDecoder} (the project's one decoding path). Rows
 * (prompt × sample) run in a batch of at most {@code maxBatch}; a row that ends (EOS, a stop string, its length) leaves
 * and the next waiting row takes its slot at once (continuous batching), so short responses do not wait for the
 * longest one. The n samples of a prompt join together and share one prefill of it. Every (prompt, sample) row draws
 * from its own seeded stream, so samples do not depend on the batch they ran in.
 */
public final class Sampler {
    /**
     * How rows share the batch: {@code continuous} lets a waiting row take a finished row's slot at once (else a batch
     * of rows runs until its last row ends, the others riding along); {@code sharePrompts} prefills equal prompts once.
     * {@link #STATIC_UNSHARED} is the algorithm before either existed, kept as the benchmarks' baseline.
     */
    public record Batching(boolean continuous, boolean sharePrompts) {
        public static final Batching DEFAULT = new Batching(true, true);
        public static final Batching STATIC_UNSHARED = new Batching(false, false);
    }

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final int maxBatch;
    private final Batching batching;

    /**
     * @param tokenizer may be null: samples then carry tokens only (no text, no stop strings)
     * @param maxBatch  rows (prompt × sample) decoded together
     */
    public Sampler(Transformer model, Tokenizer tokenizer, int maxBatch, Batching batching) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxBatch = maxBatch;
        this.batching = batching;
    }

    public Sampler(Transformer model, Tokenizer tokenizer, int maxBatch) {
        this(model, tokenizer, maxBatch, Batching.DEFAULT);
    }

    public Sampler(Transformer model, Tokenizer tokenizer) {
        this(model, tokenizer, 64);
    }

    /** Samples {@code p.n()} continuations of every prompt; results ordered by prompt, then sample. */
    public List<Sample> generate(List<long[]> prompts, SamplingParams p) {
        return generate(prompts, p, done -> { });
    }

    /** As {@link #generate(List, SamplingParams)}, reporting the number of finished rows as it goes. */
    public List<Sample> generate(List<long[]> prompts, SamplingParams p, IntConsumer progress) {
        return generate(prompts, (prompt, sample) -> stream(p.seed(), prompt, sample), p, progress);
    }

    /**
     * As {@link #generate(List, SamplingParams)}, but prompt i draws from streams of its own seed
     * {@code promptSeeds[i]} ({@code p.seed()} is unused): a prompt's samples then do not depend on which
     * other prompts share the batch, so a server can batch unrelated requests that each carry a seed.
     */
    public List<Sample> generate(List<long[]> prompts, long[] promptSeeds, SamplingParams p) {
        if (promptSeeds.length != prompts.size()) {
            throw new IllegalArgumentException(promptSeeds.length + " seeds for " + prompts.size() + " prompts");
        }
        return generate(prompts, (prompt, sample) -> stream(promptSeeds[prompt], 0, sample), p, done -> { });
    }

    /** Independent stream of row (prompt, sample): SplittableRandom's split is not order-free, so mix. */
    static SplittableRandom stream(long seed, int prompt, int sample) {
        long h = seed * 0x9E3779B97F4A7C15L + prompt * 0xBF58476D1CE4E5B9L + sample * 0x94D049BB133111EBL;
        return new SplittableRandom(new SplittableRandom(h).nextLong());
    }

    /** The random stream of each (prompt, sample) row. */
    private interface RowStreams {
        SplittableRandom of(int prompt, int sample);
    }

    private List<Sample> generate(List<long[]> prompts, RowStreams streams, SamplingParams p, IntConsumer progress) {
        if (!p.stop().isEmpty() && tokenizer == null) {
            throw new IllegalArgumentException("stop strings need a tokenizer");
        }
        int maxPos = model.config().maxPositionEmbeddings();
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).length == 0) {
                throw new IllegalArgumentException("prompt " + i + " is empty (it needs at least a BOS token)");
            }
            if (prompts.get(i).length + p.maxNewTokens() > maxPos) {
                throw new IllegalArgumentException("prompt " + i + " has " + prompts.get(i).length + " tokens; with "
                        + p.maxNewTokens() + " new tokens it exceeds max_position_embeddings " + maxPos);
            }
        }
        int rows = prompts.size() * p.n();
        Sample[] out = new Sample[rows];
        int done = 0;
        int next = 0;
        List<Pending> running = new ArrayList<>();
        // headroom: a batch's rows draw at most maxNewTokens each before a compaction makes room again
        try (StepDecoder decoder = new StepDecoder(model, maxBatch, batching.sharePrompts(), p.maxNewTokens() + 1)) {
            while (done < rows) {
                if (batching.continuous() || running.isEmpty()) {
                    next = admit(prompts, streams, p, next, rows, running);
                }
                List<StepDecoder.Row> step = new ArrayList<>(running.size());
                for (Pending r : running) {
                    step.add(r.row);
                }
                List<StepDecoder.Token> tokens = decoder.step(step);
                for (int i = 0; i < running.size(); i++) {
                    Pending r = running.get(i);
                    if (r.finish == null && r.accept(tokens.get(i), p)) {
                        out[r.index] = r.sample(p);
                        done++;
                        progress.accept(done);
                    }
                }
                if (batching.continuous()) {
                    running.removeIf(r -> r.finish != null);
                } else if (running.stream().allMatch(r -> r.finish != null)) {
                    running.clear(); // a static batch ends with its last row; finished rows rode along until then
                }
            }
        }
        return List.of(out);
    }

    /**
     * Moves waiting rows into free slots, in order; the rows of one prompt join together (they share its prefill)
     * unless there are more of them than a batch holds. Returns the next waiting row.
     */
    private int admit(List<long[]> prompts, RowStreams streams, SamplingParams p, int next, int rows, List<Pending> running) {
        int n = p.n();
        while (next < rows && running.size() < maxBatch) {
            int free = maxBatch - running.size();
            int ofPrompt = n - next % n; // this prompt's rows still waiting
            if (batching.sharePrompts() && ofPrompt > free && ofPrompt <= maxBatch) {
                break; // wait until the whole group fits
            }
            int take = Math.min(free, ofPrompt);
            for (int k = 0; k < take; k++, next++) {
                int prompt = next / n;
                running.add(new Pending(next, new StepDecoder.Row(prompts.get(prompt), p, streams.of(prompt, next % n)), p));
            }
        }
        return next;
    }

    /** A row being decoded: its place in the output and what it has drawn so far. */
    private final class Pending {
        final int index;
        final StepDecoder.Row row;
        final float[] logprobs;
        final TopLogprobs[] top;
        Sample.Finish finish;

        Pending(int index, StepDecoder.Row row, SamplingParams p) {
            this.index = index;
            this.row = row;
            this.logprobs = new float[p.maxNewTokens()];
            this.top = new TopLogprobs[p.topLogprobs() > 0 ? p.maxNewTokens() : 0];
        }

        /** Records the step's token; returns whether the row has now ended. */
        boolean accept(StepDecoder.Token token, SamplingParams p) {
            int at = row.generatedLength() - 1;
            logprobs[at] = token.logprob();
            if (top.length > 0) {
                top[at] = token.top();
            }
            long tok = token.id();
            if (p.eosIds().contains((int) tok)) {
                finish = Sample.Finish.EOS;
            } else if (!p.stop().isEmpty() && stopIndex(decode(row.prompt(), row.generated(), row.generatedLength()), p) >= 0) {
                finish = Sample.Finish.STOP;
            } else if (row.generatedLength() == p.maxNewTokens()) {
                finish = Sample.Finish.LENGTH;
            }
            return finish != null;
        }

        Sample sample(SamplingParams p) {
            long[] toks = row.generated();
            String text = null;
            long[] prompt = row.prompt();
            if (tokenizer != null) {
                text = decode(prompt, toks, toks.length);
                int cut = stopIndex(text, p);
                if (cut >= 0) {
                    text = text.substring(0, cut);
                }
            }
            List<TopLogprobs> rowTop = top.length > 0 ? Arrays.asList(Arrays.copyOf(top, toks.length)) : List.of();
            return new Sample(index / p.n(), index % p.n(), toks, Arrays.copyOf(logprobs, toks.length), text, finish, rowTop);
        }
    }

    /** A row's text so far, decoded after its prompt (decoded alone, SentencePiece would drop its first space). */
    private String decode(long[] prompt, long[] tokens, int len) {
        return tokenizer.decodeAfter(prompt, Arrays.copyOf(tokens, len));
    }

    private static int stopIndex(String text, SamplingParams p) {
        int best = -1;
        for (String s : p.stop()) {
            int i = text.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }
}
