package org.distill4j.lm;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A LoRA adapter's hyper-parameters, named and meant as PEFT's LoraConfig: rank {@code r}, {@code lora_alpha},
 * {@code lora_dropout}, {@code target_modules} and {@code use_rslora}.
 *
 * @param targets module names a linear module matches when it equals one or ends with "." + one (PEFT's rule for a
 *                list), or {@link #ALL_LINEAR}: every linear module but the LM head
 * @param rslora  scale α/√r (rank-stabilised LoRA) instead of α/r
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targets, boolean rslora) {
    /** PEFT's spelling of "every linear layer except the output layer". */
    public static final String ALL_LINEAR = "all-linear";

    public LoraConfig {
        targets = List.copyOf(targets);
        if (r < 1) {
            throw new IllegalArgumentException("LoRA rank r must be >= 1, got " + r);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be finite and > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        }
        if (targets.isEmpty() || targets.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("LoRA target modules must be non-empty names, got " + targets);
        }
        if (targets.contains(ALL_LINEAR) && targets.size() > 1) {
            throw new IllegalArgumentException("'" + ALL_LINEAR + "' stands alone in the LoRA targets, got " + targets);
        }
    }

    /** The factor of the adapter's output: α/r, or α/√r with rsLoRA (PEFT's {@code scaling}). */
    public double scale() {
        return rslora ? alpha / Math.sqrt(r) : alpha / r;
    }

    /** Whether the linear module {@code module} (a full name such as model.layers.0.self_attn.q_proj) gets an adapter. */
    public boolean matches(String module) {
        if (targets.equals(List.of(ALL_LINEAR))) {
            return true;
        }
        for (String t : targets) {
            if (module.equals(t) || module.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    /** The modules of {@code c} this config adapts, in checkpoint order; fails naming the model's modules when none. */
    List<String> modules(ModelConfig c) {
        Map<String, WeightNames.LinearShape> all = WeightNames.linears(c);
        List<String> out = new ArrayList<>();
        for (String m : all.keySet()) {
            if (matches(m)) {
                out.add(m);
            }
        }
        if (out.isEmpty()) {
            Set<String> names = new LinkedHashSet<>();
            all.keySet().forEach(m -> names.add(m.substring(m.lastIndexOf('.') + 1)));
            throw new IllegalArgumentException("LoRA targets " + String.join(",", targets) + " match no linear module of this "
                    + c.modelType() + " model; its linear modules are " + String.join(",", names) + " (or " + ALL_LINEAR + ")");
        }
        return out;
    }

    /**
     * target_modules as PEFT saves it: the names given, or for {@link #ALL_LINEAR} the distinct last parts of the
     * modules it selected (PEFT expands it before saving, so the file names what was adapted).
     */
    List<String> savedTargets(List<String> modules) {
        if (!targets.equals(List.of(ALL_LINEAR))) {
            return targets;
        }
        Set<String> names = new LinkedHashSet<>();
        modules.forEach(m -> names.add(m.substring(m.lastIndexOf('.') + 1)));
        return List.copyOf(names);
    }
}
