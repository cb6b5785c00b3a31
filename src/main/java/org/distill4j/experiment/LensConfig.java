package org.distill4j.experiment;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.util.Yaml;

/**
 * Sizes and schedule of the oracle lens (docs/oracle-lens.md): black-box distillation methods compared
 * on the embedded task with the teacher-hacking lab's oracle, teacher and student (written to lens.yaml).
 *
 * @param lab              the lab directory holding oracle/, teacher/, student-init/ and tokenizer.json
 *                         (relative to the lens directory, or absolute)
 * @param labSize          "standard" or "quick": the lab sizes used when stages 0–1 must run
 * @param trainPrompts     prompts the black-box teacher answers (once) for training
 * @param teacherSamples   teacher responses per training prompt
 * @param valPrompts       evaluation prompts (the lab's validation split)
 * @param warmupSteps      GAD's warmup, and the SeqKD length of frozen-d
 * @param dAloneSteps      first warmup steps that train the discriminator only
 * @param mainSteps        GRPO steps (SeqKD runs warmup + main steps)
 * @param discriminatorSteps frozen-d: discriminator steps on the frozen student
 * @param generatorLr      the student's LR in every method and phase (cross-entropy and GRPO alike)
 */
public record LensConfig(List<Long> seeds, List<String> methods, String lab, String labSize, long taskSeed,
                         int trainPrompts, int teacherSamples, int valPrompts,
                         int warmupSteps, int dAloneSteps, int mainSteps, int discriminatorSteps,
                         int promptsPerStep, int samples, double temperature, int maxNewTokens,
                         double generatorLr, double discriminatorLr, double discriminatorClip,
                         double klCoef, int evalEvery) {
    public static final String FILE = org.distill4j.report.LensReport.LENS_CONFIG_FILE;

    /**
     * 256 prompts answered once by the teacher, 4 prompts × 8 samples per step: the warmup is one epoch
     * and GRPO two, as in the paper (1 warmup + 2 GAD epochs); the frozen discriminator trains one epoch.
     */
    public static LensConfig standard(String lab) {
        return new LensConfig(List.of(1L, 2L, 3L), List.of("seqkd", "gad", "frozen-d"), lab, "standard", 0,
                256, 1, 48,
                64, 10, 128, 64,
                4, 8, 0.8, 64,
                1e-4, 1e-3, 1.0,
                0.001, 16);
    }

    public static LensConfig quick(String lab) {
        return new LensConfig(List.of(1L), List.of("seqkd", "gad", "frozen-d"), lab, "quick", 0,
                128, 1, 24,
                20, 5, 40, 20,
                4, 4, 0.8, 64,
                1e-4, 1e-3, 1.0,
                0.001, 10);
    }

    public LensConfig withSeeds(List<Long> s) {
        return new LensConfig(s, methods, lab, labSize, taskSeed, trainPrompts, teacherSamples, valPrompts, warmupSteps,
                dAloneSteps, mainSteps, discriminatorSteps, promptsPerStep, samples, temperature, maxNewTokens, generatorLr,
                discriminatorLr, discriminatorClip, klCoef, evalEvery);
    }

    public LensConfig withGeneratorLr(double lr) {
        return new LensConfig(seeds, methods, lab, labSize, taskSeed, trainPrompts, teacherSamples, valPrompts, warmupSteps,
                dAloneSteps, mainSteps, discriminatorSteps, promptsPerStep, samples, temperature, maxNewTokens, lr,
                discriminatorLr, discriminatorClip, klCoef, evalEvery);
    }

    public void write(Path file) {
        Yaml.write(file, this);
    }

    public static LensConfig read(Path file) {
        return Yaml.read(file, LensConfig.class, "an oracle-lens config");
    }
}
