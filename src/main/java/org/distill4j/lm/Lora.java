package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * The LoRA adapters of one model, in Hugging Face PEFT's format: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} whose tensors are named {@code base_model.model.<module>.lora_A.weight} [r, in]
 * and {@code .lora_B.weight} [out, r], so PEFT loads them onto the base checkpoint (and these classes load PEFT's).
 * Modules PEFT trains whole ({@code modules_to_save}, e.g. a classifier's {@code score}) are kept beside them by name.
 */
public final class Lora {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    static final String PREFIX = "base_model.model.";
    public static final String CAUSAL_LM = "CAUSAL_LM";

    /** One module's pair: A [r, in], B [out, r]. */
    private record Pair(NDArray a, NDArray b) {}

    private final LoraConfig config;
    private final String baseModel;
    private final Map<String, Pair> modules;
    private final Map<String, NDArray> tensors = new LinkedHashMap<>();
    private final LoraDropout dropout;

    private Lora(LoraConfig config, String baseModel, Map<String, Pair> modules) {
        this.config = config;
        this.baseModel = baseModel;
        this.modules = Collections.unmodifiableMap(new LinkedHashMap<>(modules));
        this.dropout = new LoraDropout(config.dropout());
        modules.forEach((name, p) -> {
            tensors.put(aName(name), p.a());
            tensors.put(bName(name), p.b());
        });
    }

    /** The name PEFT saves a tensor of a module trained whole under (e.g. score.weight). */
    public static String savedName(String name) {
        return PREFIX + name;
    }

    static String aName(String module) {
        return PREFIX + module + ".lora_A.weight";
    }

    static String bName(String module) {
        return PREFIX + module + ".lora_B.weight";
    }

    /**
     * Fresh adapters on the modules {@code config} targets, initialised as PEFT does: A kaiming-uniform with a = √5
     * (that is U(−1/√in, 1/√in)), B zero, so the adapted model starts equal to the base. Drawn in Java from
     * {@code seed}, module by module in checkpoint order.
     *
     * @param baseModel what adapter_config.json names as the base (the base checkpoint's directory)
     */
    public static Lora init(ModelConfig c, LoraConfig config, String baseModel, NDManager m, long seed) {
        Map<String, WeightNames.LinearShape> shapes = WeightNames.linears(c);
        SplittableRandom rng = new SplittableRandom(seed ^ 0x10_4A_0L);
        Map<String, Pair> out = new LinkedHashMap<>();
        List<String> targeted;
        try {
            targeted = config.modules(c);
        } catch (IllegalArgumentException e) {
            throw new UserError("--lora-target: " + e.getMessage());
        }
        for (String module : targeted) {
            WeightNames.LinearShape s = shapes.get(module);
            int n = Math.toIntExact(config.r() * s.in());
            float[] a = new float[n];
            double bound = 1 / Math.sqrt(s.in());
            for (int i = 0; i < n; i++) {
                a[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
            }
            out.put(module, new Pair(m.create(a, new Shape(config.r(), s.in())), m.zeros(new Shape(s.out(), config.r()))));
        }
        return new Lora(config, baseModel, out);
    }

    public LoraConfig config() {
        return config;
    }

    public String baseModel() {
        return baseModel;
    }

    /** The adapted modules' names (Hugging Face's), in checkpoint order. */
    public Set<String> modules() {
        return modules.keySet();
    }

    /** The adapters' tensors by PEFT name: the trainable parameters of a LoRA run. */
    public Map<String, NDArray> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    public LoraDropout dropout() {
        return dropout;
    }

    /** The binding {@link WeightNames} asks for, checking each pair against its module's shape. */
    WeightNames.Adapters binding() {
        double scale = config.scale();
        return (module, in, out) -> {
            Pair p = modules.get(module);
            if (p == null) {
                return null;
            }
            if (!p.a().getShape().equals(new Shape(config.r(), in)) || !p.b().getShape().equals(new Shape(out, config.r()))) {
                throw new IllegalArgumentException("adapter of " + module + " has shapes " + p.a().getShape() + " and "
                        + p.b().getShape() + ", expected (" + config.r() + ", " + in + ") and (" + out + ", " + config.r() + ")");
            }
            return new Weights.Adapter(p.a(), p.b(), scale, dropout);
        };
    }

    /** A copy of the adapters' current values in {@code m} (e.g. a frozen reference); the dropout is never on in it. */
    public Lora copy(NDManager m) {
        Map<String, Pair> out = new LinkedHashMap<>();
        modules.forEach((name, p) -> out.put(name, new Pair(m.create(p.a().toFloatArray(), p.a().getShape()),
                m.create(p.b().toFloatArray(), p.b().getShape()))));
        return new Lora(config, baseModel, out);
    }

    /** Writes a causal LM's adapter (adapter_config.json + adapter_model.safetensors) into {@code dir}, each file atomically. */
    public void write(Path dir, ModelConfig c) {
        write(dir, c, CAUSAL_LM, Map.of());
    }

    /**
     * Writes the adapter with further modules trained whole, saved under their own names as PEFT's
     * {@code modules_to_save} are.
     *
     * @param wholeModules parameters by Hugging Face name (e.g. score.weight); their modules are listed in the config
     */
    public void write(Path dir, ModelConfig c, String taskType, Map<String, NDArray> wholeModules) {
        Set<String> saved = new LinkedHashSet<>();
        wholeModules.keySet().forEach(k -> saved.add(k.substring(0, k.lastIndexOf('.'))));
        ObjectNode j = Json.object();
        j.put("peft_type", "LORA");
        j.put("task_type", taskType);
        j.put("base_model_name_or_path", baseModel);
        j.put("r", config.r());
        j.put("lora_alpha", config.alpha());
        j.put("lora_dropout", config.dropout());
        ArrayNode targets = j.putArray("target_modules");
        config.savedTargets(new ArrayList<>(modules.keySet())).forEach(targets::add);
        j.put("use_rslora", config.rslora());
        j.put("bias", "none");
        j.put("fan_in_fan_out", c.family() == Family.GPT2); // GPT-2's Conv1D stores its weight [in, out]
        if (saved.isEmpty()) {
            j.putNull("modules_to_save");
        } else {
            ArrayNode ms = j.putArray("modules_to_save");
            saved.forEach(ms::add);
        }
        j.put("init_lora_weights", true);
        j.put("inference_mode", true);
        j.put("use_dora", false);
        j.putObject("rank_pattern");
        j.putObject("alpha_pattern");
        Json.write(dir.resolve(CONFIG), j);
        Safetensors.Writer w = new Safetensors.Writer().metadata("format", "pt");
        tensors.forEach((name, a) -> w.add(name, a, Safetensors.DType.F32));
        wholeModules.forEach((name, a) -> w.add(savedName(name), a, Safetensors.DType.F32));
        w.write(dir.resolve(WEIGHTS));
    }

    /** Whether {@code dir} holds an adapter (its adapter_config.json). */
    public static boolean isAdapter(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG));
    }

    /** An adapter read from a directory: the adapters and the tensors of the modules trained whole, by Hugging Face name. */
    public record Loaded(Lora lora, Map<String, float[]> wholeModules) {}

    /**
     * Reads a PEFT LoRA adapter for a model of config {@code c}, its arrays in {@code m}; every field and tensor is
     * checked, and an error names the file and the field or tensor.
     */
    public static Loaded read(Path dir, ModelConfig c, NDManager m) {
        Path cfgFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfgFile)) {
            throw new UserError(dir + ": not an adapter directory (no " + CONFIG + ")");
        }
        JsonNode j = Json.read(cfgFile);
        LoraConfig config = readConfig(cfgFile, j);
        Set<String> wholeNames = new LinkedHashSet<>();
        j.path("modules_to_save").forEach(x -> wholeNames.add(x.asText()));
        Map<String, WeightNames.LinearShape> shapes = WeightNames.linears(c);
        Map<String, NDArray> a = new LinkedHashMap<>();
        Map<String, NDArray> b = new LinkedHashMap<>();
        Map<String, float[]> whole = new LinkedHashMap<>();
        Path file = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(file)) {
            throw new UserError(dir + ": no " + WEIGHTS);
        }
        try (Safetensors.Reader r = Safetensors.open(file)) {
            for (Safetensors.TensorInfo t : r.tensors().values()) {
                String key = t.name();
                String inner = key.startsWith(PREFIX) ? WeightNames.canonical(c, key.substring(PREFIX.length())) : null;
                boolean isA = inner != null && inner.endsWith(".lora_A.weight");
                boolean isB = inner != null && inner.endsWith(".lora_B.weight");
                if (isA || isB) {
                    String module = inner.substring(0, inner.length() - ".lora_A.weight".length());
                    WeightNames.LinearShape s = shapes.get(module);
                    if (s == null) {
                        throw new UserError(file + ": tensor '" + key + "' adapts '" + module + "', which is not a linear module of this "
                                + c.modelType() + " model");
                    }
                    long[] expected = isA ? new long[] {config.r(), s.in()} : new long[] {s.out(), config.r()};
                    if (!java.util.Arrays.equals(expected, t.shape())) {
                        throw new UserError(file + ": tensor '" + key + "' has shape " + java.util.Arrays.toString(t.shape())
                                + ", expected " + java.util.Arrays.toString(expected) + " (r = " + config.r() + " in " + CONFIG + ")");
                    }
                    (isA ? a : b).put(module, r.load(key, m));
                } else if (inner != null && wholeNames.contains(inner.substring(0, Math.max(0, inner.lastIndexOf('.'))))) {
                    whole.put(inner, r.readFloats(key));
                } else {
                    throw new UserError(file + ": unexpected tensor '" + key + "' (not a lora_A/lora_B weight or a module in "
                            + "modules_to_save)");
                }
            }
        }
        Map<String, Pair> pairs = new LinkedHashMap<>();
        for (String module : shapes.keySet()) { // checkpoint order, whatever the file's
            if (a.containsKey(module) != b.containsKey(module)) {
                throw new UserError(file + ": '" + module + "' has only one of lora_A and lora_B");
            }
            if (a.containsKey(module)) {
                pairs.put(module, new Pair(a.get(module), b.get(module)));
            }
        }
        if (pairs.isEmpty()) {
            throw new UserError(file + ": no lora_A/lora_B tensors");
        }
        return new Loaded(new Lora(config, j.path("base_model_name_or_path").asText(""), pairs), whole);
    }

    private static LoraConfig readConfig(Path file, JsonNode j) {
        require(file, "LORA".equals(j.path("peft_type").asText()), "peft_type", "is '" + j.path("peft_type").asText() + "', only LORA is read");
        require(file, j.path("r").isIntegralNumber(), "r", "missing or not an integer");
        require(file, j.path("lora_alpha").isNumber(), "lora_alpha", "missing or not a number");
        require(file, "none".equals(j.path("bias").asText("none")), "bias", "is '" + j.path("bias").asText() + "'; only 'none' is supported");
        require(file, !j.path("use_dora").asBoolean(false), "use_dora", "DoRA is not supported");
        require(file, !j.path("lora_bias").asBoolean(false), "lora_bias", "adapter biases are not supported");
        require(file, j.path("rank_pattern").isMissingNode() || j.path("rank_pattern").isNull() || j.path("rank_pattern").isEmpty(),
                "rank_pattern", "per-module ranks are not supported");
        require(file, j.path("alpha_pattern").isMissingNode() || j.path("alpha_pattern").isNull() || j.path("alpha_pattern").isEmpty(),
                "alpha_pattern", "per-module alphas are not supported");
        List<String> targets = new ArrayList<>();
        JsonNode t = j.path("target_modules");
        if (t.isArray()) {
            t.forEach(x -> targets.add(x.asText()));
        } else if (t.isTextual()) {
            targets.add(t.asText());
        }
        if (targets.isEmpty()) {
            targets.add(LoraConfig.ALL_LINEAR); // the tensors say which modules are adapted
        }
        try {
            return new LoraConfig(j.path("r").asInt(), j.path("lora_alpha").asDouble(), j.path("lora_dropout").asDouble(0),
                    targets, j.path("use_rslora").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": " + e.getMessage());
        }
    }

    private static void require(Path file, boolean ok, String field, String problem) {
        if (!ok) {
            throw new UserError(file + ": field '" + field + "' " + problem);
        }
    }
}
