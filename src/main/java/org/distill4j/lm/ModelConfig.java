package org.distill4j.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * The architecture of a Llama-family decoder as Hugging Face's config.json describes it
 * (model_type llama, qwen2 or mistral).
 *
 * @param qkvBias     biases on the q, k, v projections (Qwen2 always; Llama with attention_bias)
 * @param outputBias  bias on o_proj (Llama with attention_bias only)
 * @param slidingWindow attention window in tokens, or 0 for full causal attention
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
        double ropeTheta,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        int slidingWindow,
        int bosTokenId,
        List<Integer> eosTokenIds,
        int padTokenId) {

    public static final List<String> SUPPORTED_TYPES = List.of("llama", "qwen2", "mistral");

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        require(SUPPORTED_TYPES.contains(modelType), "model_type", "'" + modelType + "' is not supported (use one of " + SUPPORTED_TYPES + ")");
        require(vocabSize > 0, "vocab_size", "must be positive");
        require(hiddenSize > 0, "hidden_size", "must be positive");
        require(intermediateSize > 0, "intermediate_size", "must be positive");
        require(numHiddenLayers > 0, "num_hidden_layers", "must be positive");
        require(numAttentionHeads > 0, "num_attention_heads", "must be positive");
        require(numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0, "num_key_value_heads",
                "must divide num_attention_heads (" + numAttentionHeads + ")");
        require(headDim > 0 && headDim % 2 == 0, "head_dim", "must be positive and even");
        require(rmsNormEps > 0, "rms_norm_eps", "must be positive");
        require(ropeTheta > 0, "rope_theta", "must be positive");
    }

    private static void require(boolean ok, String field, String message) {
        if (!ok) {
            throw new UserError("config.json: field '" + field + "' " + message);
        }
    }

    /** A Llama config with the usual defaults, for models the project creates itself. */
    public static ModelConfig llama(int vocabSize, int hidden, int intermediate, int layers, int heads, int kvHeads,
                                    int maxPositions, boolean tied, int bos, int eos, int pad) {
        return new ModelConfig("llama", vocabSize, hidden, intermediate, layers, heads, kvHeads, hidden / heads,
                1e-5, 10000.0, maxPositions, tied, false, false, false, 0, bos, List.of(eos), pad);
    }

    public int kvGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    public int eosTokenId() {
        return eosTokenIds.isEmpty() ? -1 : eosTokenIds.get(0);
    }

    public ModelConfig withVocabSize(int newVocab) {
        return new ModelConfig(modelType, newVocab, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, rmsNormEps, ropeTheta, maxPositionEmbeddings, tieWordEmbeddings, qkvBias,
                outputBias, mlpBias, slidingWindow, bosTokenId, eosTokenIds, padTokenId);
    }

    /** Number of trainable parameters. */
    public long parameterCount() {
        long h = hiddenSize;
        long q = (long) numAttentionHeads * headDim;
        long kv = (long) numKeyValueHeads * headDim;
        long attn = h * q + 2 * h * kv + q * h + (qkvBias ? q + 2 * kv : 0) + (outputBias ? h : 0);
        long mlp = 3 * h * intermediateSize + (mlpBias ? 2L * intermediateSize + h : 0);
        long layer = attn + mlp + 2 * h;
        long embed = (long) vocabSize * h;
        return embed + numHiddenLayers * layer + h + (tieWordEmbeddings ? 0 : embed);
    }

    public static ModelConfig read(Path file) {
        return fromJson(Json.read(file), file.toString());
    }

    public static ModelConfig fromJson(JsonNode n, String source) {
        String type = text(n, "model_type", source);
        if (!SUPPORTED_TYPES.contains(type)) {
            throw new UserError(source + ": field 'model_type' is '" + type + "'; supported: " + SUPPORTED_TYPES);
        }
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new UserError(source + ": field 'hidden_act' is '" + act + "'; only silu (SwiGLU) is supported");
        }
        // transformers 4 writes rope_theta / rope_scaling; transformers 5 writes rope_parameters
        double ropeTheta = n.path("rope_theta").asDouble(n.path("rope_parameters").path("rope_theta").asDouble(10000.0));
        for (String field : new String[] {"rope_scaling", "rope_parameters"}) {
            JsonNode scaling = n.get(field);
            if (scaling != null && !scaling.isNull()) {
                String kind = scaling.path("rope_type").asText(scaling.path("type").asText("default"));
                if (!kind.equals("default")) {
                    throw new UserError(source + ": field '" + field + "' of type '" + kind + "' is not supported");
                }
            }
        }
        int hidden = integer(n, "hidden_size", source);
        int heads = integer(n, "num_attention_heads", source);
        int kvHeads = n.hasNonNull("num_key_value_heads") ? integer(n, "num_key_value_heads", source) : heads;
        int headDim = n.hasNonNull("head_dim") ? integer(n, "head_dim", source) : hidden / heads;
        boolean attentionBias = n.path("attention_bias").asBoolean(false);
        boolean qwen = type.equals("qwen2");
        int window = 0;
        if (n.hasNonNull("sliding_window") && (!qwen || n.path("use_sliding_window").asBoolean(false))) {
            window = integer(n, "sliding_window", source);
        }
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = n.get("eos_token_id");
        if (eosNode != null && eosNode.isArray()) {
            eosNode.forEach(e -> eos.add(e.asInt()));
        } else if (eosNode != null && eosNode.isInt()) {
            eos.add(eosNode.asInt());
        }
        try {
            return new ModelConfig(type,
                    integer(n, "vocab_size", source), hidden,
                    integer(n, "intermediate_size", source),
                    integer(n, "num_hidden_layers", source), heads, kvHeads, headDim,
                    n.path("rms_norm_eps").asDouble(1e-6),
                    ropeTheta,
                    n.path("max_position_embeddings").asInt(2048),
                    n.path("tie_word_embeddings").asBoolean(qwen),
                    qwen || attentionBias,
                    !qwen && attentionBias,
                    n.path("mlp_bias").asBoolean(false),
                    window,
                    n.path("bos_token_id").asInt(-1),
                    eos,
                    n.path("pad_token_id").asInt(-1));
        } catch (UserError e) {
            throw new UserError(source + ": " + e.getMessage().replaceFirst("^config.json: ", ""));
        }
    }

    private static String text(JsonNode n, String field, String source) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new UserError(source + ": missing or non-text field '" + field + "'");
        }
        return v.asText();
    }

    private static int integer(JsonNode n, String field, String source) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new UserError(source + ": missing field '" + field + "'");
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new UserError(source + ": field '" + field + "' must be an integer, got " + v);
        }
        return v.asInt();
    }

    /** The config.json Hugging Face transformers reads back. */
    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        String arch = switch (modelType) {
            case "qwen2" -> "Qwen2ForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            default -> "LlamaForCausalLM";
        };
        n.putArray("architectures").add(arch);
        n.put("model_type", modelType);
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numHiddenLayers);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("num_key_value_heads", numKeyValueHeads);
        n.put("head_dim", headDim);
        n.put("hidden_act", "silu");
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        if (modelType.equals("llama")) {
            n.put("attention_bias", qkvBias);
            n.put("mlp_bias", mlpBias);
        }
        if (slidingWindow > 0) {
            n.put("sliding_window", slidingWindow);
            if (modelType.equals("qwen2")) {
                n.put("use_sliding_window", true);
            }
        } else if (!modelType.equals("llama")) {
            n.putNull("sliding_window");
        }
        if (bosTokenId >= 0) {
            n.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            n.put("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            ArrayNode a = n.putArray("eos_token_id");
            eosTokenIds.forEach(a::add);
        }
        if (padTokenId >= 0) {
            n.put("pad_token_id", padTokenId);
        }
        n.put("torch_dtype", "float32");
        return n;
    }

    public void write(Path file) {
        Json.write(file, toJson());
    }
}
