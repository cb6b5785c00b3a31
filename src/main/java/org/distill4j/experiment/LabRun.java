package org.distill4j.experiment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.WordLevelTokenizer;

/**
 * What every stage of the lab reads: the run directory and its files, the config, the user's inputs (null: the
 * embedded task), where each model lives, the prompts of each split and the sampling settings. The stages
 * ({@link OracleStage}, {@link SftStage}, {@link EvaluationStage}, {@link DistillStage}) hold the work; this holds the
 * facts they share, so that a worker process rebuilds the same view from the directory alone.
 */
final class LabRun {
    static final String ORACLE = "oracle";
    static final String TEACHER = "teacher";
    static final String STUDENT_INIT = "student-init";

    final Path dir;
    final LabConfig cfg;
    final LabInputs inputs;
    final LabTask task;
    private Set<Integer> eos;

    LabRun(Path dir, LabConfig cfg, LabInputs inputs) {
        this.dir = dir;
        this.cfg = cfg;
        this.inputs = inputs;
        this.task = LabTask.of(cfg.task());
    }

    Path tokenizerFile() {
        return dir.resolve("tokenizer.json");
    }

    Path data(String name) {
        return dir.resolve("data").resolve(name);
    }

    /** The run directory of a distillation job. */
    Path variantDir(long seed, String variant) {
        return dir.resolve("seed-" + seed).resolve(variant);
    }

    /** The checkpoint directory of a model role: the user's when given, else the one the lab trains in the run directory. */
    Path modelDir(String role) {
        if (inputs != null) {
            switch (role) {
                case ORACLE -> {
                    return inputs.oracle();
                }
                case TEACHER -> {
                    if (inputs.teacher() != null) {
                        return inputs.teacher();
                    }
                }
                case STUDENT_INIT -> {
                    if (inputs.student() != null) {
                        return inputs.student();
                    }
                }
                default -> throw new IllegalArgumentException(role);
            }
        }
        return dir.resolve(role);
    }

    /** The task's model of a size (its word-level vocabulary and special ids). */
    ModelConfig modelConfig(LabConfig.ModelSize s) {
        int vocab = task.vocabulary().size() + 4;
        return ModelConfig.llama(vocab, s.hidden(), s.intermediate(), s.layers(), s.heads(), s.kvHeads(), 128, true,
                WordLevelTokenizer.BOS_ID, WordLevelTokenizer.EOS_ID, WordLevelTokenizer.PAD_ID);
    }

    static boolean done(Path modelDir) {
        return Files.exists(modelDir.resolve(Checkpoint.WEIGHTS));
    }

    /** End-of-sequence ids of generation: the embedded task's, or those of the user's configs (they share one tokenizer). */
    Set<Integer> eosIds() {
        if (inputs == null) {
            return Set.of(WordLevelTokenizer.EOS_ID);
        }
        if (eos == null) {
            Set<Integer> ids = new LinkedHashSet<>(Checkpoint.readConfig(inputs.oracle()).eosTokenIds());
            List<Path> configs = inputs.modelsGiven()
                    ? List.of(inputs.teacher().resolve(Checkpoint.CONFIG), inputs.student().resolve(Checkpoint.CONFIG))
                    : List.of(LabInputs.initConfigFile(inputs.teacherInit()), LabInputs.initConfigFile(inputs.studentInit()));
            for (Path c : configs) {
                ids.addAll(ModelConfig.read(c).eosTokenIds());
            }
            eos = Set.copyOf(ids);
        }
        return eos;
    }

    /** Sampling at temperature 1: the oracle's answers, the validation samples, the student's online batches. */
    SamplingParams params(int n, long seed) {
        return new SamplingParams(1.0, 0, 1.0, cfg.maxNewTokens(), n, seed, eosIds(), List.of());
    }

    /** The teacher's generations of stage 2 (offline datasets, online-teacher batches), at the configured temperature. */
    SamplingParams teacherParams(int n, long seed) {
        return new SamplingParams(cfg.generationTemperature(), 0, 1.0, cfg.maxNewTokens(), n, seed, eosIds(), List.of());
    }

    /** The prompts the oracle answers for stage 1: the task's oracle split, or the user's SFT prompts. */
    List<String> oraclePromptTexts() {
        List<String> prompts = new ArrayList<>();
        if (inputs == null) {
            for (int i = 0; i < cfg.oraclePrompts(); i++) {
                prompts.add(task.prompt(cfg.taskSeed(), EmbeddedTask.Split.ORACLE, cfg.oracleExamples() + i));
            }
        } else {
            List<String> all = LabInputsSetup.readPrompts(data(LabInputsSetup.SFT_PROMPTS));
            prompts.addAll(all.subList(0, Math.min(all.size(), cfg.oraclePrompts())));
        }
        return prompts;
    }

    /** The distillation prompts of a seed: the task's distill split, or a seeded choice of the user's prompts. */
    List<long[]> distillPrompts(Tokenizer tok, long seed) {
        List<long[]> prompts = new ArrayList<>();
        if (inputs == null) {
            for (int i = 0; i < cfg.distillPrompts(); i++) {
                prompts.add(tok.encode(task.prompt(cfg.taskSeed() + seed, EmbeddedTask.Split.DISTILL, i), true));
            }
        } else {
            List<String> all = LabInputsSetup.readPrompts(data(LabInputsSetup.PROMPTS));
            Collections.shuffle(all, new Random(LabSeeds.promptChoice(seed)));
            for (String p : all.subList(0, Math.min(all.size(), cfg.distillPrompts()))) {
                prompts.add(tok.encode(p, true));
            }
        }
        return prompts;
    }

    /** The held-out prompts of the proxy and golden metrics: the task's validation split, or the user's held-out prompts. */
    List<long[]> validationPrompts(Tokenizer tok) {
        List<long[]> val = new ArrayList<>();
        if (inputs == null) {
            for (int i = 0; i < cfg.valPrompts(); i++) {
                val.add(tok.encode(task.prompt(cfg.taskSeed(), EmbeddedTask.Split.VALIDATION, i), true));
            }
        } else {
            List<String> all = LabInputsSetup.readPrompts(data(LabInputsSetup.VAL_PROMPTS));
            for (String p : all.subList(0, Math.min(all.size(), cfg.valPrompts()))) {
                val.add(tok.encode(p, true));
            }
        }
        return val;
    }

    /** CPU time of this process: on a loaded machine a better measure of a single-threaded job's cost than its wall time. */
    static double cpuSeconds() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }
}
