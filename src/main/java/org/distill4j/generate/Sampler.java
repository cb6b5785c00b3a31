package org.distill4j.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.distill4j.lm.AttentionMask;
import org.distill4j.lm.KvCache;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;

/**
 * Batched, KV-cached sampling. Prompts of different lengths are left-padded into one batch (padding
 * keys masked, positions counted per row), so one prefill and one incremental step per token serve
 * the whole batch. Every (prompt, sample) row draws from its own seeded stream.
 */
public final class Sampler {
    private final Transformer model;
    private final Tokenizer tokenizer;
    private final int maxBatch;

    /**
     * @param tokenizer may be null: samples then carry tokens only (no text, no stop strings)
     * @param maxBatch  rows (prompt × sample) decoded together
     */
    public Sampler(Transformer model, Tokenizer tokenizer, int maxBatch) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxBatch = maxBatch;
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
        List<Sample> out = new ArrayList<>(rows);
        int done = 0;
        // sampling never needs gradients: inside a GradientCollector (an online source draws its batch while the
        // training step's collector is open) autograd would otherwise record every decoding op of a trainable model
        boolean gradMode = ai.djl.pytorch.jni.JniUtils.isGradMode();
        if (gradMode) {
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        }
        try {
            for (int start = 0; start < rows; start += maxBatch) {
                int end = Math.min(rows, start + maxBatch);
                out.addAll(generateChunk(prompts, streams, p, start, end));
                done += end - start;
                progress.accept(done);
            }
        } finally {
            if (gradMode) {
                ai.djl.pytorch.jni.JniUtils.setGradMode(true);
            }
        }
        return out;
    }

    /** Independent stream of row (prompt, sample): SplittableRandom's split is not order-free, so mix. */
    static SplittableRandom stream(long seed, int prompt, int sample) {
        long h = seed * 0x9E3779B97F4A7C15L + prompt * 0xBF58476D1CE4E5B9L + sample * 0x94D049BB133111EBL;
        return new SplittableRandom(new SplittableRandom(h).nextLong());
    }

    private List<Sample> generateChunk(List<long[]> prompts, RowStreams streams, SamplingParams p, int start, int end) {
        int b = end - start;
        int n = p.n();
        long[][] rowPrompt = new long[b][];
        SplittableRandom[] rng = new SplittableRandom[b];
        int maxLen = 0;
        for (int r = 0; r < b; r++) {
            int row = start + r;
            rowPrompt[r] = prompts.get(row / n);
            rng[r] = streams.of(row / n, row % n);
            maxLen = Math.max(maxLen, rowPrompt[r].length);
        }
        int capacity = maxLen + p.maxNewTokens();
        boolean[][] keyValid = new boolean[b][capacity];
        long[] ids = new long[b * maxLen];
        long[] positions = new long[b * maxLen];
        long[] nextPosition = new long[b];
        for (int r = 0; r < b; r++) {
            int pad = maxLen - rowPrompt[r].length;
            for (int j = 0; j < maxLen; j++) {
                boolean real = j >= pad;
                keyValid[r][j] = real;
                ids[r * maxLen + j] = real ? rowPrompt[r][j - pad] : 0;
                positions[r * maxLen + j] = real ? j - pad : 0;
            }
            nextPosition[r] = rowPrompt[r].length;
        }
        int vocab = model.config().vocabSize();
        long[][] generated = new long[b][p.maxNewTokens()];
        float[][] logprobs = new float[b][p.maxNewTokens()];
        TopLogprobs[][] top = new TopLogprobs[b][p.topLogprobs() > 0 ? p.maxNewTokens() : 0];
        int[] length = new int[b];
        Sample.Finish[] finish = new Sample.Finish[b];
        int active = b;
        try (Transformer.Fusion fusedWeights = model.fuseForInference();
             NDManager chunk = model.manager().newSubManager();
             KvCache cache = new KvCache(chunk, model.config(), b, capacity)) {
            int t = maxLen;
            long[] stepIds = ids;
            long[] stepPos = positions;
            for (int step = 0; step < p.maxNewTokens() && active > 0; step++) {
                int past = cache.length();
                long[] tokens;
                float[] lp;
                TopLogprobs[] stepTop;
                try (NDManager m = chunk.newSubManager()) {
                    NDArray idArr = m.create(stepIds, new Shape(b, t));
                    NDArray posArr = m.create(stepPos, new Shape(b, t));
                    boolean[][] visible = new boolean[b][];
                    for (int r = 0; r < b; r++) {
                        visible[r] = Arrays.copyOf(keyValid[r], past + t);
                    }
                    NDArray mask = AttentionMask.padded(m, visible, t, past, model.config().slidingWindow());
                    NDArray hidden = fusedWeights.hidden(idArr, posArr, mask, cache);
                    NDArray last = t == 1 ? hidden : hidden.get(":, -1:, :");
                    NDArray logits = fusedWeights.logits(last).reshape(b, vocab);
                    Draws drawn = draw(m, logits, p, rng, vocab);
                    tokens = drawn.tokens();
                    lp = drawn.logprobs();
                    stepTop = drawn.top();
                }
                stepIds = new long[b];
                stepPos = new long[b];
                for (int r = 0; r < b; r++) {
                    keyValid[r][past + t] = true;
                    stepPos[r] = nextPosition[r]++;
                    if (finish[r] != null) {
                        continue; // finished rows ride along; their tokens are ignored
                    }
                    long tok = tokens[r];
                    generated[r][length[r]] = tok;
                    logprobs[r][length[r]] = lp[r];
                    if (stepTop != null) {
                        top[r][length[r]] = stepTop[r];
                    }
                    length[r]++;
                    stepIds[r] = tok;
                    if (p.eosIds().contains((int) tok)) {
                        finish[r] = Sample.Finish.EOS;
                    } else if (!p.stop().isEmpty() && stopIndex(decode(rowPrompt[r], generated[r], length[r]), p) >= 0) {
                        finish[r] = Sample.Finish.STOP;
                    } else if (length[r] == p.maxNewTokens()) {
                        finish[r] = Sample.Finish.LENGTH;
                    }
                    if (finish[r] != null) {
                        active--;
                    }
                }
                t = 1;
            }
        }
        List<Sample> out = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            int row = start + r;
            long[] toks = Arrays.copyOf(generated[r], length[r]);
            String text = null;
            if (tokenizer != null) {
                text = decode(rowPrompt[r], toks, toks.length);
                int cut = stopIndex(text, p);
                if (cut >= 0) {
                    text = text.substring(0, cut);
                }
            }
            List<TopLogprobs> rowTop = p.topLogprobs() > 0 ? Arrays.asList(Arrays.copyOf(top[r], length[r])) : List.of();
            out.add(new Sample(row / n, row % n, toks, Arrays.copyOf(logprobs[r], length[r]), text,
                    finish[r] == null ? Sample.Finish.LENGTH : finish[r], rowTop));
        }
        return out;
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

    /**
     * Draws a token per row, with its untempered log-prob. The common
     * case (no top-k / top-p) runs on the engine: inverse CDF against one uniform per row from the
     * row's own stream. Truncated sampling runs in Java ({@link TokenSampler}).
     */
    private record Draws(long[] tokens, float[] logprobs, TopLogprobs[] top) {}

    private static Draws draw(NDManager m, NDArray logits, SamplingParams p, SplittableRandom[] rng, int vocab) {
        int b = rng.length;
        long[] tokens;
        if (p.temperature() == 0) {
            tokens = logits.argMax(-1).toLongArray();
        } else if (p.topK() == 0 && p.topP() >= 1) {
            float[] u = new float[b];
            for (int r = 0; r < b; r++) {
                u[r] = (float) rng[r].nextDouble();
            }
            NDArray cdf = logits.div(p.temperature()).softmax(-1).cumSum(1);
            NDArray below = cdf.lt(m.create(u, new Shape(b, 1))).toType(DataType.INT64, false).sum(new int[] {1});
            tokens = below.minimum(vocab - 1).toLongArray();
        } else {
            float[] host = logits.toFloatArray();
            tokens = new long[b];
            for (int r = 0; r < b; r++) {
                tokens[r] = TokenSampler.draw(host, r * vocab, vocab, p, rng[r]).token();
            }
        }
        NDArray logSoftmax = logits.logSoftmax(-1);
        float[] lp = logSoftmax.gather(m.create(tokens, new Shape(b, 1)), 1).toFloatArray();
        return new Draws(tokens, lp, p.topLogprobs() > 0 ? TopLogprobs.ofRows(logSoftmax, p.topLogprobs()) : null);
    }
}
