package org.distill4j.lm;

import java.util.Arrays;
import java.util.List;

/**
 * A decoder family, as config.json's {@code model_type} names it: what its blocks contain beyond the Llama
 * pattern (norm kind, norms around the blocks, q/k norms, activation, positions) and how its tensors are
 * named ({@link WeightNames}).
 */
public enum Family {
    LLAMA("llama", "LlamaForCausalLM"),
    QWEN2("qwen2", "Qwen2ForCausalLM"),
    MISTRAL("mistral", "MistralForCausalLM"),
    QWEN3("qwen3", "Qwen3ForCausalLM"),
    GEMMA2("gemma2", "Gemma2ForCausalLM"),
    GEMMA3_TEXT("gemma3_text", "Gemma3ForCausalLM"),
    PHI3("phi3", "Phi3ForCausalLM"),
    GPT2("gpt2", "GPT2LMHeadModel");

    public static final List<String> MODEL_TYPES = Arrays.stream(values()).map(Family::modelType).toList();

    private final String modelType;
    private final String architecture;

    Family(String modelType, String architecture) {
        this.modelType = modelType;
        this.architecture = architecture;
    }

    public String modelType() {
        return modelType;
    }

    public String architecture() {
        return architecture;
    }

    /** The family of a model_type, or null. */
    public static Family of(String modelType) {
        for (Family f : values()) {
            if (f.modelType.equals(modelType)) {
                return f;
            }
        }
        return null;
    }

    public boolean isGemma() {
        return this == GEMMA2 || this == GEMMA3_TEXT;
    }

    /** RMSNorm on each head's queries and keys before the rotation (Qwen3, Gemma 3). */
    public boolean qkNorm() {
        return this == QWEN3 || this == GEMMA3_TEXT;
    }

    /** Norms after attention and after the feed-forward block too, before each residual add (Gemma 2 and 3). */
    public boolean sandwichNorms() {
        return isGemma();
    }

    /** How the hidden state is normalised. */
    public NormKind norm() {
        return this == GPT2 ? NormKind.LAYER_NORM : isGemma() ? NormKind.RMS_UNIT_OFFSET : NormKind.RMS;
    }

    /** GELU with the tanh approximation (gelu_pytorch_tanh, gelu_new) instead of SiLU. */
    public boolean geluTanh() {
        return isGemma() || this == GPT2;
    }

    /** Learned absolute positions instead of rotary embeddings. */
    public boolean learnedPositions() {
        return this == GPT2;
    }

    /** The feed-forward block is gated (act(gate)·up) rather than fc → act → proj. */
    public boolean gatedMlp() {
        return this != GPT2;
    }

    /** Embeddings multiplied by √hidden_size. */
    public boolean scaledEmbeddings() {
        return isGemma();
    }

    public enum NormKind {
        /** x / rms(x) · w */
        RMS,
        /** x / rms(x) · (1 + w): Gemma stores the weight as an offset from one */
        RMS_UNIT_OFFSET,
        /** (x − mean) / std · w + b */
        LAYER_NORM
    }
}
