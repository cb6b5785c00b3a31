package org.distill4j.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * Rotary position embedding as transformers' {@code rope_parameters} (or the older {@code rope_scaling})
 * describe it: the inverse frequencies of types default, linear, dynamic, llama3 and yarn, computed in
 * float32 the way modeling_rope_utils.py does so that the tables match its rounding.
 *
 * @param factor               scaling factor (linear, dynamic, llama3, yarn); 1 for default
 * @param originalMaxPositions the pre-scaling context (llama3, yarn); 0 when unused
 * @param attentionFactor      yarn's cos/sin multiplier; NaN means derived from factor and mscale as transformers does
 * @param partialRotaryFactor  the fraction of head_dim that rotates (Phi-3's partial_rotary_factor)
 */
public record Rope(String type, double theta, double factor, double lowFreqFactor, double highFreqFactor,
                   int originalMaxPositions, double betaFast, double betaSlow, double attentionFactor, double mscale,
                   double mscaleAllDim, boolean truncate, double partialRotaryFactor) {
    public static final List<String> TYPES = List.of("default", "linear", "dynamic", "llama3", "yarn");

    public Rope {
        if (!TYPES.contains(type)) {
            throw new UserError("config.json: rope type '" + type + "' is not supported (use one of " + TYPES + ")");
        }
        if (!(theta > 0)) {
            throw new UserError("config.json: field 'rope_theta' must be positive");
        }
        if (!(partialRotaryFactor > 0 && partialRotaryFactor <= 1)) {
            throw new UserError("config.json: field 'partial_rotary_factor' must be in (0, 1]");
        }
    }

    public static Rope standard(double theta) {
        return new Rope("default", theta, 1, 0, 0, 0, 32, 1, Double.NaN, 0, 0, true, 1);
    }

    /**
     * Reads one rope parameter object ({@code rope_scaling} or {@code rope_parameters}, possibly null).
     *
     * @param theta   rope_theta when the object does not carry one
     * @param partial partial_rotary_factor when the object does not carry one
     */
    static Rope fromJson(JsonNode p, double theta, double partial, int maxPositions, String where) {
        if (p == null || p.isNull() || p.isMissingNode()) {
            return standard(theta).withPartial(partial);
        }
        String type = p.path("rope_type").asText(p.path("type").asText("default"));
        if (!TYPES.contains(type)) {
            throw new UserError(where + " of type '" + type + "' is not supported (supported: " + TYPES + ")");
        }
        double t = p.path("rope_theta").asDouble(theta);
        double factor = p.path("factor").asDouble(1.0);
        int original = p.path("original_max_position_embeddings").asInt(maxPositions);
        if (type.equals("yarn") && !p.hasNonNull("factor")) {
            factor = (double) maxPositions / original;
        }
        if (!type.equals("default") && !(factor > 0)) {
            throw new UserError(where + ": 'factor' must be positive for rope type '" + type + "'");
        }
        if (type.equals("llama3") && !(p.hasNonNull("low_freq_factor") && p.hasNonNull("high_freq_factor"))) {
            throw new UserError(where + ": rope type 'llama3' needs 'low_freq_factor' and 'high_freq_factor'");
        }
        double attention = p.hasNonNull("attention_factor") ? p.get("attention_factor").asDouble() : Double.NaN;
        return new Rope(type, t, type.equals("default") ? 1 : factor, p.path("low_freq_factor").asDouble(0),
                p.path("high_freq_factor").asDouble(0), original, positiveOr(p, "beta_fast", 32), positiveOr(p, "beta_slow", 1),
                attention, p.path("mscale").asDouble(0), p.path("mscale_all_dim").asDouble(0), p.path("truncate").asBoolean(true),
                p.path("partial_rotary_factor").asDouble(partial));
    }

    private static double positiveOr(JsonNode p, String field, double fallback) {
        double v = p.path(field).asDouble(0);
        return v == 0 ? fallback : v; // transformers: `get(...) or default`
    }

    Rope withPartial(double partial) {
        return new Rope(type, theta, factor, lowFreqFactor, highFreqFactor, originalMaxPositions, betaFast, betaSlow,
                attentionFactor, mscale, mscaleAllDim, truncate, partial);
    }

    /** The object transformers reads back as {@code rope_parameters}. */
    ObjectNode toJson() {
        ObjectNode n = Json.object(); // a tree: its fields depend on rope_type, and it is set into HfConfig's tree
        n.put("rope_type", type);
        n.put("rope_theta", theta);
        if (partialRotaryFactor != 1) {
            n.put("partial_rotary_factor", partialRotaryFactor);
        }
        switch (type) {
            case "linear", "dynamic" -> n.put("factor", factor);
            case "llama3" -> {
                n.put("factor", factor);
                n.put("low_freq_factor", lowFreqFactor);
                n.put("high_freq_factor", highFreqFactor);
                n.put("original_max_position_embeddings", originalMaxPositions);
            }
            case "yarn" -> {
                n.put("factor", factor);
                n.put("original_max_position_embeddings", originalMaxPositions);
                n.put("beta_fast", betaFast);
                n.put("beta_slow", betaSlow);
                if (!Double.isNaN(attentionFactor)) {
                    n.put("attention_factor", attentionFactor);
                }
                if (mscale != 0) {
                    n.put("mscale", mscale);
                }
                if (mscaleAllDim != 0) {
                    n.put("mscale_all_dim", mscaleAllDim);
                }
                if (!truncate) {
                    n.put("truncate", false);
                }
            }
            default -> { }
        }
        return n;
    }

    /** How many leading dimensions of a head rotate. */
    public int rotaryDim(int headDim) {
        return (int) (headDim * partialRotaryFactor);
    }

    /**
     * Inverse frequencies [rotaryDim / 2].
     *
     * @param seqLen the longest position + 1 of the current pass (only dynamic reads it)
     */
    float[] inverseFrequencies(int headDim, int maxPositions, int seqLen) {
        int dim = rotaryDim(headDim);
        double base = theta;
        if (type.equals("dynamic") && seqLen > maxPositions) {
            // NTK-aware: a larger base once the pass runs past the trained context (transformers' _compute_dynamic_ntk_parameters)
            base = theta * Math.pow(factor * seqLen / maxPositions - (factor - 1), (double) dim / (dim - 2));
        }
        float[] posFreq = new float[dim / 2];
        float[] inv = new float[dim / 2];
        for (int i = 0; i < dim / 2; i++) {
            // in double, then rounded: what this project has always used (trained runs and their tests depend on
            // its exact values); within an ulp of transformers' float32 computation
            double exponent = (double) (2 * i) / dim;
            posFreq[i] = (float) Math.pow(base, exponent);
            inv[i] = (float) (1.0 / Math.pow(base, exponent));
        }
        return switch (type) {
            case "linear" -> scaled(inv, (float) factor);
            case "llama3" -> llama3(inv);
            case "yarn" -> yarn(posFreq, dim);
            default -> inv;
        };
    }

    private static float[] scaled(float[] inv, float factor) {
        float[] out = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            out[i] = inv[i] / factor;
        }
        return out;
    }

    /** Llama 3.1's frequency-dependent scaling: long wavelengths divided by factor, short kept, a smooth ramp between. */
    private float[] llama3(float[] inv) {
        float f = (float) factor;
        double lowWavelen = originalMaxPositions / lowFreqFactor;
        double highWavelen = originalMaxPositions / highFreqFactor;
        float[] out = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            float wavelen = (float) (2 * Math.PI) / inv[i];
            float scaled = wavelen > lowWavelen ? inv[i] / f : inv[i];
            if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                float smooth = (float) ((originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor));
                scaled = (1 - smooth) * scaled / f + smooth * scaled;
            }
            out[i] = scaled;
        }
        return out;
    }

    /** YaRN: interpolation for low frequencies, extrapolation for high ones, a linear ramp between. */
    private float[] yarn(float[] posFreq, int dim) {
        double low = correctionDim(betaFast, dim);
        double high = correctionDim(betaSlow, dim);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
            high += 0.001;
        }
        float[] out = new float[posFreq.length];
        for (int i = 0; i < posFreq.length; i++) {
            float extrapolation = 1f / posFreq[i];
            float interpolation = 1f / ((float) factor * posFreq[i]);
            float ramp = Math.min(1f, Math.max(0f, (float) ((i - low) / (high - low))));
            float extrapolationFactor = 1 - ramp;
            out[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
        }
        return out;
    }

    private double correctionDim(double rotations, int dim) {
        return dim * Math.log(originalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    /** The multiplier of cos and sin: yarn's attention factor, 1 for the other types. */
    float attentionScaling() {
        if (!type.equals("yarn")) {
            return 1f;
        }
        if (!Double.isNaN(attentionFactor)) {
            return (float) attentionFactor;
        }
        if (mscale != 0 && mscaleAllDim != 0) {
            return (float) (mscale(factor, mscale) / mscale(factor, mscaleAllDim));
        }
        return (float) mscale(factor, 1);
    }

    private static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    /**
     * cos/sin tables [rows, rotaryDim] in the rotate-half layout (frequencies repeated twice), times the
     * attention scaling.
     */
    float[][] tables(int headDim, int rows, int maxPositions) {
        int d = rotaryDim(headDim);
        float[] inv = inverseFrequencies(headDim, maxPositions, rows);
        float scale = attentionScaling();
        float[] cos = new float[rows * d];
        float[] sin = new float[rows * d];
        for (int i = 0; i < d / 2; i++) {
            for (int p = 0; p < rows; p++) {
                float angle = (float) p * inv[i]; // transformers multiplies in float32
                float cs = (float) Math.cos(angle) * scale;
                float sn = (float) Math.sin(angle) * scale;
                cos[p * d + i] = cs;
                cos[p * d + i + d / 2] = cs;
                sin[p * d + i] = sn;
                sin[p * d + i + d / 2] = sn;
            }
        }
        return new float[][] {cos, sin};
    }
}
