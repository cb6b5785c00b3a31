package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.distill4j.data.BatchOrder;
import org.distill4j.data.DataSource;
import org.distill4j.data.Example;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.ChunkedHeadLoss;

/**
 * Supervised fine-tuning: cross-entropy on response tokens only, averaged over all response tokens
 * of the optimizer step (token mean across micro-batches); batches follow {@link BatchOrder}.
 */
public final class SftObjective implements Objective {
    private final Transformer model;
    private final List<Example> validation;
    private final int batchSize;
    private final int accumulation;
    private final DataSource.Offline data;
    private final ChunkedHeadLoss head;

    public SftObjective(Transformer model, List<Example> train, List<Example> validation, int batchSize, int accumulation, long seed) {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        this.model = model;
        this.validation = validation;
        this.batchSize = batchSize;
        this.accumulation = accumulation;
        this.data = new DataSource.Offline(train, new BatchOrder(train.size(), batchSize, accumulation, seed));
        this.head = new ChunkedHeadLoss(null, ChunkedHeadLoss.rowsFor(model.config().vocabSize()),
                model.config().finalLogitSoftcap());
    }

    @Override
    public double stepsPerEpoch() {
        return data.stepsPerEpoch();
    }

    List<Example> batch(long step, int micro) {
        return data.batch(step, micro);
    }

    @Override
    public Loss loss(NDManager m, long step, int micro) {
        long stepTokens = 0;
        for (int k = 0; k < accumulation; k++) {
            for (Example e : batch(step, k)) {
                stepTokens += e.response().length;
            }
        }
        List<Example> b = batch(step, micro);
        long tokens = 0;
        for (Example e : b) {
            tokens += e.length();
        }
        LanguageModel.ResponseHidden h = LanguageModel.responseHidden(model, m, Example.prompts(b), Example.responses(b));
        long n = h.mask().size();
        // the head and the cross-entropy block by block: no [B, R, V] logits kept for backward
        NDArray loss = head.compute(h.hidden().reshape(n, -1), model.headWeight(), model.config().vocabSize(), null,
                h.mask().reshape(n), h.targets().reshape(n), 1.0, 1.0 / stepTokens, 0).objective();
        return new Loss(loss, tokens, Map.of());
    }

    private NDArray logProbs(NDManager m, List<Example> b) {
        return LanguageModel.responseLogits(model, m, Example.prompts(b), Example.responses(b)).targetLogProbs();
    }

    @Override
    public Map<String, Double> evaluate(NDManager m) {
        if (validation.isEmpty()) {
            return Map.of();
        }
        double nll = 0;
        long tokens = 0;
        for (int s = 0; s < validation.size(); s += batchSize) {
            List<Example> b = validation.subList(s, Math.min(validation.size(), s + batchSize));
            try (NDManager sub = m.newSubManager()) {
                nll -= logProbs(sub, b).sum().toFloatArray()[0];
            }
            for (Example e : b) {
                tokens += e.response().length;
            }
        }
        return Map.of("val_loss", nll / tokens);
    }
}
