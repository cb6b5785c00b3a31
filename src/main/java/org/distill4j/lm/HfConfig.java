package org.distill4j.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * config.json as transformers writes it, per family: field names (GPT-2's n_embd, Gemma's hidden_activation),
 * family defaults, rope_scaling (transformers 4) or rope_parameters (transformers 5, nested by layer type for
 * Gemma 3), and layer_types or the rules transformers derives them by.
 */
final class HfConfig {
    private HfConfig() {}

    static ModelConfig read(JsonNode n, String source) {
        String type = text(n, "model_type", source);
        Family family = Family.of(type);
        if (family == null) {
            throw new UserError(source + ": field 'model_type' is '" + type + "'; supported: " + Family.MODEL_TYPES);
        }
        try {
            return family == Family.GPT2 ? gpt2(n, source) : decoder(n, family, source);
        } catch (UserError e) {
            if (e.getMessage().startsWith(source + ": ")) {
                throw e;
            }
            throw new UserError(source + ": " + e.getMessage().replaceFirst("^config.json: ", ""));
        }
    }

    private static ModelConfig decoder(JsonNode n, Family family, String source) {
        if (family.isGemma()) {
            String act = n.path("hidden_activation").asText(n.path("hidden_act").asText("gelu_pytorch_tanh"));
            requireTanhGelu(act, "hidden_activation", source);
            if (n.path("use_bidirectional_attention").asBoolean(false)) {
                throw new UserError(source + ": field 'use_bidirectional_attention' true (an encoder) is not supported");
            }
        } else {
            String act = n.path("hidden_act").asText("silu");
            if (!act.equals("silu")) {
                throw new UserError(source + ": field 'hidden_act' is '" + act + "'; only silu (SwiGLU) is supported for " + family.modelType());
            }
        }
        int layers = integer(n, "num_hidden_layers", source);
        int hidden = integer(n, "hidden_size", source);
        int heads = integer(n, "num_attention_heads", source);
        int kvHeads = n.hasNonNull("num_key_value_heads") ? integer(n, "num_key_value_heads", source) : heads;
        int headDim = n.hasNonNull("head_dim") ? integer(n, "head_dim", source) : hidden / heads;
        int maxPositions = n.path("max_position_embeddings").asInt(2048);
        double partial = n.path("partial_rotary_factor").asDouble(1.0);
        double theta = n.path("rope_theta").asDouble(n.path("rope_parameters").path("rope_theta")
                .asDouble(family == Family.GEMMA3_TEXT ? 1_000_000.0 : 10000.0));
        Rope rope;
        Rope local;
        JsonNode params = n.hasNonNull("rope_scaling") ? n.get("rope_scaling") : n.get("rope_parameters");
        if (family == Family.GEMMA3_TEXT && n.path("rope_parameters").has("full_attention")) {
            JsonNode p = n.get("rope_parameters");
            rope = Rope.fromJson(p.get("full_attention"), theta, partial, maxPositions, source + ": rope_parameters.full_attention");
            local = Rope.fromJson(p.get("sliding_attention"), n.path("rope_local_base_freq").asDouble(10000.0), partial,
                    maxPositions, source + ": rope_parameters.sliding_attention");
        } else {
            String field = n.hasNonNull("rope_scaling") ? "rope_scaling" : "rope_parameters";
            rope = Rope.fromJson(params, theta, partial, maxPositions, source + ": field '" + field + "'");
            local = family == Family.GEMMA3_TEXT
                    ? Rope.standard(n.path("rope_local_base_freq").asDouble(10000.0)).withPartial(partial) : rope;
        }
        boolean attentionBias = n.path("attention_bias").asBoolean(false);
        boolean qkvBias = switch (family) {
            case QWEN2 -> true;
            case MISTRAL, PHI3 -> false;
            default -> attentionBias;
        };
        boolean outputBias = switch (family) {
            case QWEN2, MISTRAL, PHI3 -> false;
            default -> attentionBias;
        };
        boolean mlpBias = family == Family.LLAMA && n.path("mlp_bias").asBoolean(false);
        int window = 0;
        boolean qwen = family == Family.QWEN2 || family == Family.QWEN3;
        if (n.hasNonNull("sliding_window") && (!qwen || n.path("use_sliding_window").asBoolean(false))) {
            window = integer(n, "sliding_window", source);
        }
        List<Boolean> sliding = layerTypes(n, family, layers, window, source);
        boolean tiedDefault = family.isGemma() || family == Family.QWEN2;
        double attnCap = n.has("attn_logit_softcapping") ? n.path("attn_logit_softcapping").asDouble(0)
                : family == Family.GEMMA2 ? 50.0 : 0;
        double finalCap = n.has("final_logit_softcapping") ? n.path("final_logit_softcapping").asDouble(0)
                : family == Family.GEMMA2 ? 30.0 : 0;
        return new ModelConfig(family.modelType(), integer(n, "vocab_size", source), hidden,
                integer(n, "intermediate_size", source), layers, heads, kvHeads, headDim,
                n.path("rms_norm_eps").asDouble(1e-6), rope, local, maxPositions,
                n.path("tie_word_embeddings").asBoolean(tiedDefault), qkvBias, outputBias, mlpBias, window, sliding,
                family.isGemma() ? n.path("query_pre_attn_scalar").asDouble(256) : 0, attnCap, finalCap,
                n.path("bos_token_id").asInt(-1), eos(n), n.path("pad_token_id").asInt(-1));
    }

    /** Which layers use the window: layer_types when given, else transformers' rule for the family. */
    private static List<Boolean> layerTypes(JsonNode n, Family family, int layers, int window, String source) {
        List<Boolean> sliding = new ArrayList<>();
        JsonNode types = n.get("layer_types");
        if (types != null && types.isArray()) {
            for (JsonNode t : types) {
                switch (t.asText()) {
                    case "sliding_attention" -> sliding.add(true);
                    case "full_attention" -> sliding.add(false);
                    default -> throw new UserError(source + ": field 'layer_types' has '" + t.asText()
                            + "'; supported: sliding_attention, full_attention");
                }
            }
            if (window == 0 && sliding.contains(true)) {
                throw new UserError(source + ": field 'layer_types' names sliding_attention layers but 'sliding_window' is not set");
            }
            return sliding;
        }
        int maxWindowLayers = n.path("max_window_layers").asInt(28);
        int pattern = n.path("sliding_window_pattern").asInt(6);
        for (int i = 0; i < layers; i++) {
            sliding.add(window > 0 && switch (family) {
                case QWEN2, QWEN3 -> i >= maxWindowLayers;
                case GEMMA2 -> (i + 1) % 2 != 0;
                case GEMMA3_TEXT -> (i + 1) % pattern != 0;
                default -> true;
            });
        }
        return sliding;
    }

    private static ModelConfig gpt2(JsonNode n, String source) {
        requireTanhGelu(n.path("activation_function").asText("gelu_new"), "activation_function", source);
        for (String unsupported : new String[] {"scale_attn_by_inverse_layer_idx", "add_cross_attention"}) {
            if (n.path(unsupported).asBoolean(false)) {
                throw new UserError(source + ": field '" + unsupported + "' true is not supported");
            }
        }
        if (!n.path("scale_attn_weights").asBoolean(true)) {
            throw new UserError(source + ": field 'scale_attn_weights' false is not supported");
        }
        int hidden = integer(n, "n_embd", source);
        int heads = integer(n, "n_head", source);
        int inner = n.hasNonNull("n_inner") ? integer(n, "n_inner", source) : 4 * hidden;
        Rope none = Rope.standard(10000.0); // unused: GPT-2 learns its positions
        return new ModelConfig("gpt2", integer(n, "vocab_size", source), hidden, inner, integer(n, "n_layer", source),
                heads, heads, hidden / heads, n.path("layer_norm_epsilon").asDouble(1e-5), none, none,
                integer(n, "n_positions", source), n.path("tie_word_embeddings").asBoolean(true), true, true, true, 0,
                List.of(), 0, 0, 0, n.path("bos_token_id").asInt(50256), eos(n), n.path("pad_token_id").asInt(-1));
    }

    private static void requireTanhGelu(String act, String field, String source) {
        if (!act.equals("gelu_pytorch_tanh") && !act.equals("gelu_new")) {
            throw new UserError(source + ": field '" + field + "' is '" + act + "'; supported: gelu_pytorch_tanh, gelu_new");
        }
    }

    private static List<Integer> eos(JsonNode n) {
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = n.get("eos_token_id");
        if (eosNode != null && eosNode.isArray()) {
            eosNode.forEach(e -> eos.add(e.asInt()));
        } else if (eosNode != null && eosNode.isInt()) {
            eos.add(eosNode.asInt());
        }
        return eos;
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

    static ObjectNode write(ModelConfig c) {
        ObjectNode n = Json.object(); // a tree: names and shapes differ per family (n_embd, hidden_act(ivation), eos id or list)
        Family family = c.family();
        n.putArray("architectures").add(family.architecture());
        n.put("model_type", c.modelType());
        n.put("vocab_size", c.vocabSize());
        if (family == Family.GPT2) {
            n.put("n_embd", c.hiddenSize());
            n.put("n_inner", c.intermediateSize());
            n.put("n_layer", c.numHiddenLayers());
            n.put("n_head", c.numAttentionHeads());
            n.put("n_positions", c.maxPositionEmbeddings());
            n.put("layer_norm_epsilon", c.rmsNormEps());
            n.put("activation_function", "gelu_new");
        } else {
            writeDecoder(c, n, family);
        }
        n.put("tie_word_embeddings", c.tieWordEmbeddings());
        if (c.bosTokenId() >= 0) {
            n.put("bos_token_id", c.bosTokenId());
        }
        if (c.eosTokenIds().size() == 1) {
            n.put("eos_token_id", c.eosTokenIds().get(0));
        } else if (!c.eosTokenIds().isEmpty()) {
            ArrayNode a = n.putArray("eos_token_id");
            c.eosTokenIds().forEach(a::add);
        }
        if (c.padTokenId() >= 0) {
            n.put("pad_token_id", c.padTokenId());
        }
        n.put("torch_dtype", "float32");
        return n;
    }

    private static void writeDecoder(ModelConfig c, ObjectNode n, Family family) {
        n.put("hidden_size", c.hiddenSize());
        n.put("intermediate_size", c.intermediateSize());
        n.put("num_hidden_layers", c.numHiddenLayers());
        n.put("num_attention_heads", c.numAttentionHeads());
        n.put("num_key_value_heads", c.numKeyValueHeads());
        n.put("head_dim", c.headDim());
        n.put(family.isGemma() ? "hidden_activation" : "hidden_act", family.isGemma() ? "gelu_pytorch_tanh" : "silu");
        n.put("rms_norm_eps", c.rmsNormEps());
        n.put("max_position_embeddings", c.maxPositionEmbeddings());
        if (family == Family.GEMMA3_TEXT) {
            ObjectNode p = n.putObject("rope_parameters");
            p.set("full_attention", c.rope().toJson());
            p.set("sliding_attention", c.localRope().toJson());
        } else {
            n.put("rope_theta", c.ropeTheta());
            if (c.rope().partialRotaryFactor() != 1) {
                n.put("partial_rotary_factor", c.rope().partialRotaryFactor());
            }
            n.set("rope_parameters", c.rope().toJson());
        }
        switch (family) {
            case LLAMA -> {
                n.put("attention_bias", c.qkvBias());
                n.put("mlp_bias", c.mlpBias());
            }
            case QWEN3, GEMMA2, GEMMA3_TEXT -> n.put("attention_bias", c.qkvBias());
            default -> { }
        }
        if (family.isGemma()) {
            double scalar = c.queryPreAttnScalar();
            if (scalar == Math.rint(scalar)) {
                n.put("query_pre_attn_scalar", (long) scalar); // transformers 5 checks that it is an int
            } else {
                n.put("query_pre_attn_scalar", scalar);
            }
            putCap(n, "attn_logit_softcapping", c.attnLogitSoftcap());
            putCap(n, "final_logit_softcapping", c.finalLogitSoftcap());
        }
        if (c.windowTokens() > 0) {
            n.put("sliding_window", c.windowTokens());
            if (family == Family.QWEN2 || family == Family.QWEN3) {
                n.put("use_sliding_window", true);
            }
        } else if (family != Family.LLAMA) {
            n.putNull("sliding_window");
        }
        if (family != Family.LLAMA && family != Family.MISTRAL && family != Family.PHI3) {
            ArrayNode types = n.putArray("layer_types");
            c.slidingLayers().forEach(s -> types.add(s ? "sliding_attention" : "full_attention"));
        }
    }

    private static void putCap(ObjectNode n, String field, double cap) {
        if (cap > 0) {
            n.put(field, cap);
        } else {
            n.putNull(field);
        }
    }
}
