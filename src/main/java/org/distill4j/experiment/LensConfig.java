package org.distill4j.experiment;

import java.nio.file.Path;
import java.util.List;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.distill4j.util.Json;
import org.distill4j.util.Yaml;

/**
 * Sizes and schedule of the oracle lens (docs/oracle-lens.md): black-box distillation methods compared
 * on the embedded task with the teacher-hacking lab's models (written to lens.yaml).
 *
 * @param lab              the lab directory holding oracle/, teacher/, student-init/ and tokenizer.json
 *                         (relative to the lens directory, or absolute)
 * @param labSize          "standard" or "quick": the lab sizes used when stages 0–1 must run
 * @param teacher          which lab model answers as the black-box teacher: "oracle" (the truth itself: the most
 *                         headroom a teacher can give) or "teacher" (the lab's teacher, SFT'd on the oracle's text)
 * @param oodTopics        the task's last K topics are held out: no training prompt comes from them, and the
 *                         evaluation has an in-distribution (other topics) and an out-of-distribution (these) split
 * @param trainPrompts     prompts the black-box teacher answers (once) for training
 * @param teacherSamples   teacher responses per training prompt
 * @param valPrompts       evaluation prompts per split (the lab's validation split)
 * @param warmupEpochs     GAD's warmup (and frozen-d's SeqKD phase) in epochs over the teacher's responses
 * @param gameEpochs       GRPO epochs (SeqKD continues for as many)
 * @param discriminatorEpochs frozen-d: discriminator epochs on the frozen student
 * @param dAloneSteps      first warmup steps that train the discriminator only
 * @param generatorLr      the student's LR in every method and phase (cross-entropy and GRPO alike)
 * @param discriminatorLr  the discriminator's LR
 * @param evalEvery        evaluation every k steps (and at 0 and the end)
 */
public record LensConfig(List<Long> seeds, List<String> methods, String lab, String labSize, long taskSeed,
                         String teacher, int oodTopics, int trainPrompts, int teacherSamples, int valPrompts,
                         double warmupEpochs, double gameEpochs, double discriminatorEpochs, int dAloneSteps,
                         int promptsPerStep, int samples, double temperature, int maxNewTokens,
                         double generatorLr, double discriminatorLr, double generatorClip, double discriminatorClip,
                         double weightDecay, double klCoef, int evalEvery) {
    public static final String FILE = org.distill4j.report.LensReport.LENS_CONFIG_FILE;

    /** The lens's methods: the three of docs/gad.md and the paper's two warmup ablations. */
    public static final List<String> METHODS = List.of("seqkd", "gad", "frozen-d", "gad-no-g-warmup", "gad-no-d-warmup");

    public LensConfig {
        if (!List.of("oracle", "teacher").contains(teacher)) {
            throw new IllegalArgumentException("lens teacher must be oracle or teacher, got " + teacher);
        }
        if (oodTopics < 0 || oodTopics >= EmbeddedTask.topics()) {
            throw new IllegalArgumentException("ood topics must be in [0, " + EmbeddedTask.topics() + "), got " + oodTopics);
        }
    }

    /**
     * The reference recipe (docs/gad.md) at the lens's scale: the oracle as the black-box teacher, 4 of 16 topics held
     * out, 256 prompts answered once, 8 prompts × 8 samples a step, one warmup epoch and two GRPO epochs (the paper's
     * 1 + 2), equal learning rates for both models, clip 0.2, weight decay 0.01, the discriminator alone for its first step.
     */
    public static LensConfig standard(String lab) {
        return new LensConfig(List.of(1L, 2L, 3L), METHODS, lab, "standard", 0,
                "oracle", 4, 256, 1, 32,
                1, 2, 1, 1,
                8, 8, 0.8, 64,
                1e-4, 1e-4, 0.2, 0.2,
                0.01, 0.001, 8);
    }

    public static LensConfig quick(String lab) {
        return new LensConfig(List.of(1L), METHODS, lab, "quick", 0,
                "oracle", 4, 96, 1, 16,
                1, 2, 1, 1,
                8, 4, 0.8, 64,
                1e-4, 1e-4, 0.2, 0.2,
                0.01, 0.001, 6);
    }

    /** Optimizer steps of {@code epochs} passes over the teacher's responses. */
    public int steps(double epochs) {
        return (int) Math.round(epochs * trainPrompts * teacherSamples / promptsPerStep);
    }

    public int warmupSteps() {
        return steps(warmupEpochs);
    }

    public int gameSteps() {
        return steps(gameEpochs);
    }

    public int discriminatorSteps() {
        return steps(discriminatorEpochs);
    }

    public LensConfig withSeeds(List<Long> s) {
        return with("seeds", s);
    }

    /** The student's learning rate; the discriminator's follows it (equal, as in the reference recipe). */
    public LensConfig withGeneratorLr(double lr) {
        return with("generatorLr", lr).with("discriminatorLr", lr);
    }

    /** The discriminator's strength: its learning rate and the warmup's length (the D-strength sweep). */
    public LensConfig withDiscriminator(double lr, double warmup) {
        return with("discriminatorLr", lr).with("warmupEpochs", warmup);
    }

    /** GRPO epochs (SeqKD continues for as many). */
    public LensConfig withGameEpochs(double e) {
        return with("gameEpochs", e);
    }

    public LensConfig withTeacher(String t) {
        return with("teacher", t);
    }

    public LensConfig withMethods(List<String> m) {
        return with("methods", m);
    }

    /** A copy with one component replaced, by name (the names of lens.yaml); validated as every config is. */
    private LensConfig with(String component, Object value) {
        ObjectNode n = Json.MAPPER.valueToTree(this);
        n.set(component, Json.MAPPER.valueToTree(value));
        try {
            return Json.MAPPER.treeToValue(n, LensConfig.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("lens config component " + component, e);
        }
    }

    public void write(Path file) {
        Yaml.write(file, this);
    }

    public static LensConfig read(Path file) {
        return Yaml.read(file, LensConfig.class, "an oracle-lens config");
    }
}
