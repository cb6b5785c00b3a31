package org.distill4j.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * The user's models and prompts for a teacher-hacking lab run ({@code distill experiment teacher-hacking}):
 * stage 0 is skipped (the oracle is given), and stage 1 too when the teacher and the student's initial
 * checkpoint are given; otherwise they are trained by SFT on the oracle's answers, starting from
 * {@code teacherInit} / {@code studentInit} (a config.json, or a checkpoint directory to start from its
 * weights). Written to the run directory as inputs.json (absolute paths) so the lab's worker processes
 * and a resumed run see the same inputs.
 *
 * @param prompts     JSONL of {"prompt": …}: the distillation prompts (and the validation prompts
 *                    when {@code valPrompts} is null: a {@code valFraction} of them, chosen by a hash of the text)
 * @param sftPrompts  the prompts the oracle answers for stage 1 (null: the distillation prompts)
 */
public record LabInputs(Path oracle, Path teacher, Path student, Path teacherInit, Path studentInit,
                        Path prompts, Path valPrompts, double valFraction, Path sftPrompts) {
    public static final String FILE = "inputs.json";

    public LabInputs {
        oracle = abs(oracle);
        teacher = abs(teacher);
        student = abs(student);
        teacherInit = abs(teacherInit);
        studentInit = abs(studentInit);
        prompts = abs(prompts);
        valPrompts = abs(valPrompts);
        sftPrompts = abs(sftPrompts);
    }

    private static Path abs(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize();
    }

    /** Teacher and student given: no stage 1. */
    public boolean modelsGiven() {
        return teacher != null && student != null;
    }

    /**
     * Checks that every path exists and fits its role, and that the checkpoints share one vocabulary;
     * every problem is a {@link UserError} naming the file or field.
     */
    public void validate() {
        if (oracle == null) {
            throw new UserError("--oracle is required (the lab measures the golden metric against it)");
        }
        if (prompts == null) {
            throw new UserError("--prompts is required");
        }
        if ((teacher == null) != (student == null)) {
            throw new UserError("give both --teacher and --student, or neither (then --teacher-init and --student-init: "
                    + "they are trained by SFT on the oracle's answers)");
        }
        if (!modelsGiven() && (teacherInit == null || studentInit == null)) {
            throw new UserError("without --teacher and --student, --teacher-init and --student-init are required "
                    + "(a config.json or a checkpoint directory each)");
        }
        if (modelsGiven() && (teacherInit != null || studentInit != null)) {
            throw new UserError("--teacher-init/--student-init are for runs without --teacher/--student");
        }
        if (valPrompts != null && valFraction > 0) {
            throw new UserError("give --val-prompts or --val-fraction, not both");
        }
        if (valPrompts == null && !(valFraction > 0 && valFraction < 1)) {
            throw new UserError("--val-fraction must be in (0, 1), got " + valFraction);
        }
        requireFile(prompts, "--prompts");
        if (valPrompts != null) {
            requireFile(valPrompts, "--val-prompts");
        }
        if (sftPrompts != null) {
            requireFile(sftPrompts, "--sft-prompts");
            if (modelsGiven()) {
                throw new UserError("--sft-prompts is for runs that train the teacher and student (without --teacher/--student)");
            }
        }
        Map<String, Path> tokenizers = new LinkedHashMap<>();
        tokenizers.put("--oracle", checkpoint(oracle, "--oracle"));
        if (modelsGiven()) {
            tokenizers.put("--teacher", checkpoint(teacher, "--teacher"));
            tokenizers.put("--student", checkpoint(student, "--student"));
        } else {
            initConfig(teacherInit, "--teacher-init");
            initConfig(studentInit, "--student-init");
            for (Map.Entry<String, Path> e : Map.of("--teacher-init", teacherInit, "--student-init", studentInit).entrySet()) {
                if (Files.isDirectory(e.getValue()) && Files.isRegularFile(e.getValue().resolve(Checkpoint.TOKENIZER))) {
                    tokenizers.put(e.getKey(), e.getValue().resolve(Checkpoint.TOKENIZER));
                }
            }
        }
        Iterator<Map.Entry<String, Path>> it = tokenizers.entrySet().iterator();
        Map.Entry<String, Path> ref = it.next();
        while (it.hasNext()) {
            Map.Entry<String, Path> other = it.next();
            sameVocabulary(ref.getValue(), other.getValue());
        }
        ModelConfig oracleConfig = Checkpoint.readConfig(oracle);
        List<Path> configs = new ArrayList<>();
        if (modelsGiven()) {
            configs.add(teacher.resolve(Checkpoint.CONFIG));
            configs.add(student.resolve(Checkpoint.CONFIG));
        } else {
            configs.add(initConfigFile(teacherInit));
            configs.add(initConfigFile(studentInit));
        }
        int tokenizerSize = tokenizerSize(tokenizers.get("--oracle"));
        for (Path c : configs) {
            ModelConfig mc = ModelConfig.read(c);
            if (mc.vocabSize() < tokenizerSize) {
                throw new UserError(c + ": vocab_size " + mc.vocabSize() + " is smaller than the shared tokenizer's " + tokenizerSize
                        + " ids (" + tokenizers.get("--oracle") + ")");
            }
        }
        Path studentConfig = configs.get(1);
        if (ModelConfig.read(studentConfig).eosTokenIds().isEmpty()) {
            throw new UserError(studentConfig + ": no eos_token_id (generation and SFT need one)");
        }
        if (oracleConfig.eosTokenIds().isEmpty()) {
            throw new UserError(oracle.resolve(Checkpoint.CONFIG) + ": no eos_token_id (the oracle's samples need one)");
        }
    }

    /** The tokenizer every model of the run uses (the oracle's; validate() checks the others share its vocabulary). */
    public Path tokenizer() {
        return oracle.resolve(Checkpoint.TOKENIZER);
    }

    private static void requireFile(Path p, String flag) {
        if (!Files.isRegularFile(p)) {
            throw new UserError(p + ": " + flag + " file not found");
        }
    }

    private static Path checkpoint(Path dir, String flag) {
        if (!Files.isDirectory(dir)) {
            throw new UserError(dir + ": " + flag + " checkpoint directory not found");
        }
        if (!Files.isRegularFile(dir.resolve(Checkpoint.CONFIG))) {
            throw new UserError(dir + ": " + flag + " has no " + Checkpoint.CONFIG);
        }
        Path tok = dir.resolve(Checkpoint.TOKENIZER);
        if (!Files.isRegularFile(tok)) {
            throw new UserError(dir + ": " + flag + " has no " + Checkpoint.TOKENIZER
                    + " (the lab compares token ids across models, so every checkpoint must carry its tokenizer)");
        }
        return tok;
    }

    private static void initConfig(Path p, String flag) {
        if (!Files.exists(p)) {
            throw new UserError(p + ": " + flag + " not found (a config.json or a checkpoint directory)");
        }
        if (!Files.isRegularFile(initConfigFile(p))) {
            throw new UserError(p + ": " + flag + " directory has no " + Checkpoint.CONFIG);
        }
    }

    /** The config.json of an init: the file itself, or the one in the directory. */
    static Path initConfigFile(Path init) {
        return Files.isDirectory(init) ? init.resolve(Checkpoint.CONFIG) : init;
    }

    /** Whether an init starts from weights (a checkpoint directory with weights) rather than a random initialisation. */
    static boolean initHasWeights(Path init) {
        return Files.isDirectory(init) && (Files.isRegularFile(init.resolve(Checkpoint.WEIGHTS))
                || Files.isRegularFile(init.resolve(Checkpoint.INDEX)));
    }

    private static int tokenizerSize(Path file) {
        JsonNode root = Json.read(file);
        int size = 0;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (JsonNode id : vocab) {
                size = Math.max(size, id.asInt() + 1);
            }
        } else if (vocab.isArray()) {
            size = vocab.size();
        }
        for (JsonNode t : root.path("added_tokens")) {
            size = Math.max(size, t.path("id").asInt() + 1);
        }
        return size;
    }

    /**
     * White-box distances compare the models' distributions id by id, so the tokenizers must map the same
     * tokens to the same ids: model.vocab and added_tokens are compared entry by entry.
     */
    static void sameVocabulary(Path ref, Path other) {
        JsonNode a = Json.read(ref);
        JsonNode b = Json.read(other);
        String where = other + " vs " + ref;
        JsonNode va = a.path("model").path("vocab");
        JsonNode vb = b.path("model").path("vocab");
        if (!a.path("model").path("type").equals(b.path("model").path("type"))) {
            throw new UserError(other + ": field model.type is " + b.path("model").path("type") + " but " + ref + " has "
                    + a.path("model").path("type") + "; the models must share one vocabulary");
        }
        if (va.isObject() && vb.isObject()) {
            Map<String, Integer> ma = ids(va);
            Map<String, Integer> mb = ids(vb);
            for (Map.Entry<String, Integer> e : ma.entrySet()) {
                Integer id = mb.get(e.getKey());
                if (!e.getValue().equals(id)) {
                    throw new UserError(other + ": field model.vocab differs from " + ref + ": token '" + e.getKey() + "' has id "
                            + (id == null ? "none" : id) + " here and " + e.getValue() + " there; the models must share one vocabulary");
                }
            }
            if (mb.size() != ma.size()) {
                throw new UserError(other + ": field model.vocab has " + mb.size() + " tokens but " + ref + " has " + ma.size()
                        + "; the models must share one vocabulary");
            }
        } else if (!va.equals(vb)) {
            throw new UserError(other + ": field model.vocab differs from " + ref + " (" + where + "); the models must share one vocabulary");
        }
        Map<String, Integer> addA = new LinkedHashMap<>();
        Map<String, Integer> addB = new LinkedHashMap<>();
        a.path("added_tokens").forEach(t -> addA.put(t.path("content").asText(), t.path("id").asInt()));
        b.path("added_tokens").forEach(t -> addB.put(t.path("content").asText(), t.path("id").asInt()));
        if (!addA.equals(addB)) {
            throw new UserError(other + ": field added_tokens differs from " + ref + " (" + addB + " vs " + addA
                    + "); the models must share one vocabulary");
        }
    }

    private static Map<String, Integer> ids(JsonNode vocab) {
        Map<String, Integer> out = new LinkedHashMap<>();
        vocab.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asInt()));
        return out;
    }

    /** inputs.json: the paths as text (absent when not given). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record InputsFile(String oracle, String teacher, String student, String teacherInit, String studentInit, String prompts,
                      String valPrompts, double valFraction, String sftPrompts) {}

    public void write(Path runDir) {
        Json.write(runDir.resolve(FILE), new InputsFile(text(oracle), text(teacher), text(student), text(teacherInit),
                text(studentInit), text(prompts), text(valPrompts), valFraction, text(sftPrompts)));
    }

    private static String text(Path p) {
        return p == null ? null : p.toString();
    }

    private static Path path(String p) {
        return p == null ? null : Path.of(p);
    }

    /** The inputs of a user-input run, or empty for a run on the embedded task. */
    public static Optional<LabInputs> read(Path runDir) {
        Path f = runDir.resolve(FILE);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        InputsFile n;
        try {
            n = Json.MAPPER.treeToValue(Json.read(f), InputsFile.class);
        } catch (JsonProcessingException e) {
            throw new UserError(f + ": " + e.getOriginalMessage());
        }
        return Optional.of(new LabInputs(path(n.oracle()), path(n.teacher()), path(n.student()), path(n.teacherInit()),
                path(n.studentInit()), path(n.prompts()), path(n.valPrompts()), n.valFraction(), path(n.sftPrompts())));
    }
}
