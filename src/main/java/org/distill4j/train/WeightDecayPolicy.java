package org.distill4j.train;

/**
 * Which parameters AdamW decays, by Hugging Face tensor name. Decaying norm gains pulls them towards 0
 * (not their natural 1), decaying biases and the token embedding only shrinks useful offsets and rare
 * tokens' rows, so the usual recipe (GPT-2, Llama) exempts all three; each can be switched back on.
 * Every other parameter (linear weights, an untied lm_head) is decayed.
 */
public record WeightDecayPolicy(boolean decayNorms, boolean decayBiases, boolean decayEmbeddings) {
    /** Norms, biases and embeddings exempt. */
    public static final WeightDecayPolicy DEFAULT = new WeightDecayPolicy(false, false, false);

    /** Every parameter decayed, as torch.optim.AdamW does with a single parameter group. */
    public static final WeightDecayPolicy ALL = new WeightDecayPolicy(true, true, true);

    public boolean decays(String name) {
        if (isNorm(name)) {
            return decayNorms;
        }
        if (isBias(name)) {
            return decayBiases;
        }
        if (isEmbedding(name)) {
            return decayEmbeddings;
        }
        return true;
    }

    /**
     * RMSNorm/LayerNorm gains: input_layernorm, post_attention_layernorm, model.norm, q_norm/k_norm, Gemma's
     * pre/post_feedforward_layernorm, GPT-2's ln_1, ln_2, ln_f.
     */
    static boolean isNorm(String name) {
        return name.endsWith("norm.weight") || name.endsWith(".ln_1.weight") || name.endsWith(".ln_2.weight")
                || name.endsWith("ln_f.weight");
    }

    static boolean isBias(String name) {
        return name.endsWith(".bias");
    }

    /** Token embeddings (embed_tokens, GPT-2's wte) and GPT-2's learned positions (wpe). */
    static boolean isEmbedding(String name) {
        return name.endsWith("embed_tokens.weight") || name.endsWith("wte.weight") || name.endsWith("wpe.weight");
    }
}
