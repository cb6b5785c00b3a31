package org.distill4j.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * The architecture of a decoder as Hugging Face's config.json describes it (the families of {@link Family});
 * {@link HfConfig} reads and writes the file.
 *
 * @param rmsNormEps     epsilon of every norm (GPT-2's layer_norm_epsilon too)
 * @param rope           rotary embedding of full-attention layers (of every layer unless {@code localRope} differs)
 * @param localRope      rotary embedding of sliding-window layers (Gemma 3's rope_local_base_freq); same as rope otherwise
 * @param qkvBias        biases on the q, k, v projections (Qwen2 always; Llama with attention_bias; GPT-2 always)
 * @param outputBias     bias on the attention output projection (attention_bias; GPT-2)
 * @param windowTokens   attention window in tokens of the layers marked sliding (config.json's sliding_window), or 0
 * @param slidingLayers  per layer: whether it attends within {@code windowTokens} only (transformers' layer_types)
 * @param queryPreAttnScalar scores are scaled by this^-½ (Gemma); 0 means head_dim
 * @param attnLogitSoftcap  scores become cap·tanh(scores / cap) before the mask (Gemma 2); 0 means none
 * @param finalLogitSoftcap logits become cap·tanh(logits / cap) (Gemma 2); 0 means none
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        Rope rope,
        Rope localRope,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        int windowTokens,
        List<Boolean> slidingLayers,
        double queryPreAttnScalar,
        double attnLogitSoftcap,
        double finalLogitSoftcap,
        int bosTokenId,
        List<Integer> eosTokenIds,
        int padTokenId) {

    public static final List<String> SUPPORTED_TYPES = Family.MODEL_TYPES;

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        require(Family.of(modelType) != null, "model_type", "'" + modelType + "' is not supported (use one of " + SUPPORTED_TYPES + ")");
        require(vocabSize > 0, "vocab_size", "must be positive");
        require(hiddenSize > 0, "hidden_size", "must be positive");
        require(intermediateSize > 0, "intermediate_size", "must be positive");
        require(numHiddenLayers > 0, "num_hidden_layers", "must be positive");
        require(numAttentionHeads > 0, "num_attention_heads", "must be positive");
        require(numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0, "num_key_value_heads",
                "must divide num_attention_heads (" + numAttentionHeads + ")");
        require(headDim > 0 && headDim % 2 == 0, "head_dim", "must be positive and even");
        require(rmsNormEps > 0, "rms_norm_eps", "must be positive");
        require(maxPositionEmbeddings > 0, "max_position_embeddings", "must be positive");
        require(rope.rotaryDim(headDim) % 2 == 0 && localRope.rotaryDim(headDim) % 2 == 0, "partial_rotary_factor",
                "must leave an even number of rotary dimensions");
        slidingLayers = slidingLayers.isEmpty() ? Collections.nCopies(numHiddenLayers, windowTokens > 0) : List.copyOf(slidingLayers);
        require(slidingLayers.size() == numHiddenLayers, "layer_types", "must have num_hidden_layers (" + numHiddenLayers + ") entries");
        require(windowTokens >= 0, "sliding_window", "must not be negative");
        require(queryPreAttnScalar >= 0, "query_pre_attn_scalar", "must be positive");
        require(attnLogitSoftcap >= 0, "attn_logit_softcapping", "must be positive");
        require(finalLogitSoftcap >= 0, "final_logit_softcapping", "must be positive");
        if (family() == Family.GPT2) {
            require(numKeyValueHeads == numAttentionHeads && headDim * numAttentionHeads == hiddenSize, "n_head",
                    "must divide n_embd");
        }
    }

    private static void require(boolean ok, String field, String message) {
        if (!ok) {
            throw new UserError("config.json: field '" + field + "' " + message);
        }
    }

    /** A Llama config with the usual defaults, for models the project creates itself. */
    public static ModelConfig llama(int vocabSize, int hidden, int intermediate, int layers, int heads, int kvHeads,
                                    int maxPositions, boolean tied, int bos, int eos, int pad) {
        Rope rope = Rope.standard(10000.0);
        return new ModelConfig("llama", vocabSize, hidden, intermediate, layers, heads, kvHeads, hidden / heads,
                1e-5, rope, rope, maxPositions, tied, false, false, false, 0, List.of(), 0, 0, 0, bos, List.of(eos), pad);
    }

    public Family family() {
        return Family.of(modelType);
    }

    public int kvGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    public int eosTokenId() {
        return eosTokenIds.isEmpty() ? -1 : eosTokenIds.get(0);
    }

    /** rope_theta of full-attention layers. */
    public double ropeTheta() {
        return rope.theta();
    }

    /** Whether some layers attend within a window and others do not (Gemma 2 and 3, Qwen with max_window_layers). */
    public boolean mixedWindows() {
        return slidingLayers.contains(true) && slidingLayers.contains(false);
    }

    /**
     * The window every layer shares, in tokens: what a caller that builds its own attention mask includes
     * ({@link AttentionMask}'s window). 0 when no layer has one, and when layers differ: then the caller's mask is
     * the full one and the model narrows it for each sliding layer itself.
     */
    public int slidingWindow() {
        return slidingLayers.contains(false) ? 0 : windowTokens;
    }

    /** The attention window of {@code layer} in tokens, or 0 for full causal attention. */
    public int window(int layer) {
        return slidingLayers.get(layer) ? windowTokens : 0;
    }

    /** The multiplier of the attention scores: query_pre_attn_scalar^-½ (Gemma) or head_dim^-½. */
    public double attentionScale() {
        return 1.0 / Math.sqrt(queryPreAttnScalar > 0 ? queryPreAttnScalar : headDim);
    }

    public ModelConfig withVocabSize(int newVocab) {
        return new ModelConfig(modelType, newVocab, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, rmsNormEps, rope, localRope, maxPositionEmbeddings, tieWordEmbeddings, qkvBias,
                outputBias, mlpBias, windowTokens, slidingLayers, queryPreAttnScalar, attnLogitSoftcap, finalLogitSoftcap,
                bosTokenId, eosTokenIds, padTokenId);
    }

    /** Number of trainable parameters. */
    public long parameterCount() {
        long n = 0;
        for (long[] shape : WeightNames.shapes(this).values()) {
            long size = 1;
            for (long d : shape) {
                size *= d;
            }
            n += size;
        }
        return n;
    }

    public static ModelConfig read(Path file) {
        return fromJson(Json.read(file), file.toString());
    }

    public static ModelConfig fromJson(JsonNode n, String source) {
        return HfConfig.read(n, source);
    }

    /** The config.json Hugging Face transformers reads back. */
    public ObjectNode toJson() {
        return HfConfig.write(this);
    }

    public void write(Path file) {
        Json.write(file, toJson());
    }
}
