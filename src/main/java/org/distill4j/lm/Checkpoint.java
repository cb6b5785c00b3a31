package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.distill4j.util.AtomicFiles;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * A Hugging Face checkpoint directory: config.json, model.safetensors (or shards with
 * model.safetensors.index.json), tokenizer.json and generation_config.json when present.
 */
public final class Checkpoint {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String GENERATION_CONFIG = "generation_config.json";

    private Checkpoint() {}

    public static ModelConfig readConfig(Path dir) {
        requireDir(dir);
        return ModelConfig.read(dir.resolve(CONFIG));
    }

    private static void requireDir(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UserError(dir + ": checkpoint directory not found");
        }
    }

    /** Loads the weights of {@code dir} into a new Transformer whose arrays live under {@code parent}. */
    public static Transformer loadTransformer(Path dir, NDManager parent) {
        ModelConfig config = readConfig(dir);
        List<Path> files = weightFiles(dir);
        NDManager m = parent.newSubManager();
        try {
            Map<String, long[]> expected = Transformer.parameterShapes(config);
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (Path f : files) {
                try (Safetensors.Reader r = Safetensors.open(f)) {
                    for (Safetensors.TensorInfo t : r.tensors().values()) {
                        String name = WeightNames.canonical(config, t.name());
                        long[] shape = expected.get(name);
                        if (shape == null) {
                            if (name.equals("lm_head.weight") && config.tieWordEmbeddings()) {
                                continue; // some exporters write the tied head too
                            }
                            if (WeightNames.isBuffer(name)) {
                                continue; // a buffer some exporters save (rotary frequencies, GPT-2's mask); recomputed
                            }
                            throw new UserError(f + ": unexpected tensor '" + t.name() + "' for a " + config.modelType()
                                    + " with this config.json");
                        }
                        if (!java.util.Arrays.equals(shape, t.shape())) {
                            throw new UserError(f + ": tensor '" + t.name() + "' has shape " + java.util.Arrays.toString(t.shape())
                                    + " but config.json implies " + java.util.Arrays.toString(shape));
                        }
                        params.put(name, r.load(t.name(), m));
                    }
                }
            }
            Set<String> missing = new LinkedHashSet<>(expected.keySet());
            missing.removeAll(params.keySet());
            if (!missing.isEmpty()) {
                throw new UserError(dir + ": weights lack " + missing.size() + " tensor(s), first '" + missing.iterator().next() + "'");
            }
            return Transformer.of(config, m, params);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static List<Path> weightFiles(Path dir) {
        Path single = dir.resolve(WEIGHTS);
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            JsonNode map = Json.read(index).path("weight_map");
            if (!map.isObject()) {
                throw new UserError(index + ": missing 'weight_map'");
            }
            Set<String> shards = new LinkedHashSet<>();
            map.forEach(v -> shards.add(v.asText()));
            List<Path> out = new ArrayList<>();
            shards.forEach(s -> out.add(dir.resolve(s)));
            return out;
        }
        throw new UserError(dir + ": no " + WEIGHTS + " or " + INDEX);
    }

    /** Loads the tokenizer of a checkpoint, checking it fits the model's vocabulary. */
    public static Tokenizer loadTokenizer(Path dir, ModelConfig config) {
        return loadTokenizer(dir, dir.resolve(TOKENIZER), config);
    }

    /** Loads a tokenizer file for a model, checking it fits the model's vocabulary. */
    public static Tokenizer loadTokenizer(Path dir, Path file, ModelConfig config) {
        if (!Files.isRegularFile(file)) {
            throw new UserError(dir + ": no " + file.getFileName());
        }
        Tokenizer tok = Tokenizer.load(file);
        if (tok.vocabSize() > config.vocabSize()) {
            tok.close();
            throw new UserError(file + ": tokenizer has " + tok.vocabSize() + " ids but config.json vocab_size is "
                    + config.vocabSize());
        }
        return tok;
    }

    /**
     * Saves a checkpoint directory atomically: everything is written into a sibling temporary
     * directory, which then replaces {@code dir}; the previous checkpoint survives a crash mid-save.
     *
     * @param extraFiles further files to copy in (e.g. tokenizer.json, generation_config.json), by name
     */
    public static void save(Path dir, Transformer model, Safetensors.DType storage, Map<String, Path> extraFiles) {
        saveWith(dir, tmp -> writeFiles(tmp, model, storage, extraFiles));
    }

    /**
     * Writes config.json, model.safetensors and {@code extraFiles} (copied, by name) into an existing
     * directory, each file atomically.
     */
    public static void writeFiles(Path dir, Transformer model, Safetensors.DType storage, Map<String, Path> extraFiles)
            throws IOException {
        model.config().write(dir.resolve(CONFIG));
        // tensor by tensor: a model at its real size is never held twice (in the engine and as bytes to write)
        Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
        model.parameters().forEach((name, a) -> shapes.put(name, a.getShape().getShape()));
        Safetensors.writeStreaming(dir.resolve(WEIGHTS), shapes, storage, (name, offset, block) -> {
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray flat = model.parameters().get(name).reshape(-1); // a view; its block below is one too
                flat.attach(scope);
                NDArray part = flat.get(new NDIndex("{}:{}", offset, offset + block.length)).toType(DataType.FLOAT32, false);
                System.arraycopy(part.toFloatArray(), 0, block, 0, block.length);
            }
        });
        copyFiles(dir, model.config(), extraFiles);
    }

    /**
     * Writes what training changes of {@code model}: with LoRA adapters only the adapter (PEFT's two files, F32), the
     * frozen base not at all; otherwise the whole checkpoint in F32. {@code extraFiles} are copied in either way.
     */
    public static void writeTrained(Path dir, Transformer model, Map<String, Path> extraFiles) throws IOException {
        if (model.lora() == null) {
            writeFiles(dir, model, Safetensors.DType.F32, extraFiles);
        } else {
            model.lora().write(dir, model.config());
            copyFiles(dir, model.config(), extraFiles);
        }
    }

    /** Reads back what {@link #writeTrained} wrote into the model's {@link Transformer#trainableParameters}. */
    public static void readTrained(Path dir, Transformer model) {
        readInto(dir.resolve(model.lora() == null ? WEIGHTS : Lora.WEIGHTS), model.trainableParameters());
    }

    /** Reads every named array from a safetensors file (F32, as training checkpoints are written). */
    public static void readInto(Path file, Map<String, NDArray> arrays) {
        try (Safetensors.Reader r = Safetensors.open(file)) {
            for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
                e.getValue().set(r.readFloats(e.getKey()));
            }
        }
    }

    /** Loads the PEFT adapter in {@code adapterDir} onto {@code model} (its arrays in the model's manager). */
    public static void attachAdapter(Path adapterDir, Transformer model) {
        Lora.Loaded l = Lora.read(adapterDir, model.config(), model.manager());
        if (!l.wholeModules().isEmpty()) {
            throw new UserError(adapterDir.resolve(Lora.CONFIG) + ": modules_to_save " + l.wholeModules().keySet()
                    + " belong to another head than a language model's");
        }
        model.attach(l.lora());
    }

    /** Copies {@code extraFiles} (by name) into {@code dir}, with a tokenizer_config.json beside a tokenizer.json. */
    public static void copyFiles(Path dir, ModelConfig config, Map<String, Path> extraFiles) throws IOException {
        for (Map.Entry<String, Path> e : extraFiles.entrySet()) {
            byte[] bytes = Files.readAllBytes(e.getValue());
            AtomicFiles.write(dir.resolve(e.getKey()), out -> out.write(bytes));
        }
        Path tokenizer = extraFiles.get(TOKENIZER);
        if (tokenizer != null && !extraFiles.containsKey(TokenizerConfig.FILE)) { // so AutoTokenizer loads the directory
            TokenizerConfig.writeFor(dir, tokenizer, config);
        }
    }

    @FunctionalInterface
    public interface DirectoryWriter {
        void write(Path tmp) throws IOException;
    }

    /** Writes a directory via {@code writer} into a temporary sibling, then swaps it into place. */
    public static void saveWith(Path dir, DirectoryWriter writer) {
        Path abs = dir.toAbsolutePath();
        Path parent = abs.getParent();
        Path tmp = parent.resolve("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Path old = parent.resolve("." + abs.getFileName() + ".old");
        try {
            Files.createDirectories(parent);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            writer.write(tmp);
            deleteTree(old);
            if (Files.exists(abs)) {
                AtomicFiles.move(abs, old);
            }
            AtomicFiles.move(tmp, abs);
            deleteTree(old);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot save checkpoint: " + e, e);
        } finally {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // leftover temp dir is hidden and replaced on the next save
            }
        }
    }

    /** Where a crash between the two renames of {@link #saveWith} left the previous checkpoint, if anywhere. */
    public static Path recover(Path dir) {
        Path abs = dir.toAbsolutePath();
        Path old = abs.getParent().resolve("." + abs.getFileName() + ".old");
        if (!Files.exists(abs) && Files.isDirectory(old)) {
            try {
                AtomicFiles.move(old, abs);
            } catch (IOException e) {
                throw new UserError(dir + ": cannot restore previous checkpoint from " + old + ": " + e, e);
            }
        }
        return abs;
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
