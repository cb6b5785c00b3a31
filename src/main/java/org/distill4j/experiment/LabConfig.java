package org.distill4j.experiment;

import java.util.List;

/**
 * Every size and schedule of the teacher-hacking lab (written to the run's config.yaml).
 *
 * @param seeds            distillation seeds (stages 0–1 are shared by all seeds)
 * @param oracleExamples   grammar samples the oracle is trained on (stage 0)
 * @param oracleSteps      SFT steps of the oracle
 * @param oraclePrompts    prompts the oracle answers to build the oracle dataset (stage 1)
 * @param sftSteps         SFT steps of the teacher and of the student's initial checkpoint
 * @param distillPrompts   P: prompts of the offline dataset and of the online sources (stage 2)
 * @param generations      G: teacher generations per prompt of the baseline offline dataset
 * @param diversityFactor  f: the low-diversity variant has P/f prompts × G·f generations (same size)
 * @param budgets          generations per prompt of the budget sweep (at P prompts)
 * @param distillSteps     optimizer steps of every distillation run
 * @param evalEvery        proxy/golden evaluation every k steps
 * @param valPrompts       validation prompts of the proxy/golden metrics
 * @param maxNewTokens     generation cap (responses are ≤ 64 tokens)
 * @param generationTemperature sampling temperature of the teacher's generations in stage 2 (the offline
 *                         datasets and the online-teacher batches); the loss's temperature is {@code temperature}
 */
public record LabConfig(List<Long> seeds, long taskSeed,
                        ModelSize oracle, ModelSize teacher, ModelSize student,
                        int oracleExamples, int oracleSteps, int oraclePrompts, int sftSteps, int sftBatch, double sftLr,
                        int distillPrompts, int generations, double diversityFactor, List<Integer> budgets,
                        int distillSteps, int distillBatch, double distillLr, String loss, double temperature,
                        int evalEvery, int valPrompts, int maxNewTokens, double generationTemperature) {

    /** A Llama-style model size. */
    public record ModelSize(int hidden, int layers, int heads, int kvHeads, int intermediate) {}

    public LabConfig {
        seeds = List.copyOf(seeds);
        budgets = List.copyOf(budgets);
        if (generationTemperature == 0) {
            generationTemperature = 1.0; // a config.yaml written before the field existed
        }
    }

    /** The configuration without {@code generationTemperature} (teacher generations at temperature 1). */
    public LabConfig(List<Long> seeds, long taskSeed, ModelSize oracle, ModelSize teacher, ModelSize student,
                     int oracleExamples, int oracleSteps, int oraclePrompts, int sftSteps, int sftBatch, double sftLr,
                     int distillPrompts, int generations, double diversityFactor, List<Integer> budgets,
                     int distillSteps, int distillBatch, double distillLr, String loss, double temperature,
                     int evalEvery, int valPrompts, int maxNewTokens) {
        this(seeds, taskSeed, oracle, teacher, student, oracleExamples, oracleSteps, oraclePrompts, sftSteps, sftBatch, sftLr,
                distillPrompts, generations, diversityFactor, budgets, distillSteps, distillBatch, distillLr, loss, temperature,
                evalEvery, valPrompts, maxNewTokens, 1.0);
    }

    /** The default demo: all sources and variants, 3 seeds, ≈ 15 minutes on 2 cores. */
    public static LabConfig standard() {
        return new LabConfig(List.of(1L, 2L, 3L), 0,
                new ModelSize(128, 3, 4, 2, 256), new ModelSize(96, 2, 4, 2, 192), new ModelSize(64, 2, 4, 2, 128),
                6000, 1200, 1000, 800, 32, 3e-3,
                64, 2, 2.5, List.of(1, 2, 4, 8),
                200, 16, 1e-3, "fkl", 1.0,
                25, 48, 64, 1.0);
    }

    /**
     * The smoke-test version: one seed, fewer and shorter runs (≤ 3 minutes; 2.6–2.9 min measured with 250 oracle
     * steps, whose stage 0 alone took 39–67 s as this VM's speed drifted, so 180 steps keep a margin).
     */
    public static LabConfig quick() {
        return new LabConfig(List.of(1L), 0,
                new ModelSize(96, 2, 4, 2, 192), new ModelSize(64, 2, 4, 2, 128), new ModelSize(32, 2, 4, 2, 64),
                2000, 180, 800, 160, 32, 3e-3,
                40, 2, 2.5, List.of(1, 2, 4),
                100, 16, 1e-3, "fkl", 1.0,
                20, 24, 64, 1.0);
    }

    public LabConfig withSeeds(List<Long> newSeeds) {
        return new LabConfig(newSeeds, taskSeed, oracle, teacher, student, oracleExamples, oracleSteps, oraclePrompts, sftSteps,
                sftBatch, sftLr, distillPrompts, generations, diversityFactor, budgets, distillSteps, distillBatch, distillLr,
                loss, temperature, evalEvery, valPrompts, maxNewTokens, generationTemperature);
    }

    /** This config with P distillation prompts, {@code val} validation prompts and {@code answered} oracle-answered prompts. */
    public LabConfig withSizes(int p, int val, int answered) {
        return new LabConfig(seeds, taskSeed, oracle, teacher, student, oracleExamples, oracleSteps, answered, sftSteps,
                sftBatch, sftLr, p, generations, diversityFactor, budgets, distillSteps, distillBatch, distillLr,
                loss, temperature, evalEvery, val, maxNewTokens, generationTemperature);
    }

    /** Writes this config as YAML. */
    public void write(java.nio.file.Path file) {
        org.distill4j.util.Yaml.write(file, this);
    }

    /** Reads a config written by {@link #write}. */
    public static LabConfig read(java.nio.file.Path file) {
        return org.distill4j.util.Yaml.read(file, LabConfig.class, "a lab config");
    }
}
