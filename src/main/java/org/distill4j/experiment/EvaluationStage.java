package org.distill4j.experiment;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.distill4j.eval.ProxyGoldenEvaluator;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evaluation every distillation run shares: the fixed oracle and teacher samples on the validation prompts
 * (data/validation-samples.jsonl), drawn once for every run of the lab (they depend on neither the seed nor the
 * variant), and the evaluation of the initial student at step 0 (data/validation-step0.json), the same for all runs.
 */
final class EvaluationStage {
    private static final Logger LOG = LoggerFactory.getLogger(EvaluationStage.class);

    private final LabRun run;

    EvaluationStage(LabRun run) {
        this.run = run;
    }

    private Path samplesFile() {
        return run.data("validation-samples.jsonl");
    }

    private Path step0File() {
        return run.data("validation-step0.json");
    }

    /** Draws the validation samples and evaluates the initial student, unless done. */
    void prepare() {
        Path file = samplesFile();
        if (Files.exists(file) && Files.exists(step0File())) {
            return;
        }
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = Checkpoint.loadTransformer(run.modelDir(LabRun.ORACLE), m);
             Transformer teacher = Checkpoint.loadTransformer(run.modelDir(LabRun.TEACHER), m);
             Transformer student = Checkpoint.loadTransformer(run.modelDir(LabRun.STUDENT_INIT), m);
             Tokenizer tok = Tokenizer.load(run.tokenizerFile())) {
            if (!Files.exists(file)) {
                LabFiles.writeValidation(file, ProxyGoldenEvaluator.Samples.draw(oracle, teacher, run.validationPrompts(tok),
                        run.params(1, LabSeeds.VALIDATION_SAMPLES), 1));
            }
            try (ProxyGoldenEvaluator evaluator = evaluator(oracle, teacher)) {
                LabFiles.writeMetrics(step0File(), evaluator.evaluate(student));
            }
        }
        LOG.info(String.format("timing: validation samples and the step-0 evaluation took %.1f s", (System.nanoTime() - t0) / 1e9));
    }

    /** The proxy/golden evaluator on the shared validation samples. */
    ProxyGoldenEvaluator evaluator(Transformer oracle, Transformer teacher) {
        return new ProxyGoldenEvaluator(oracle, teacher, LabFiles.readValidation(samplesFile()), run.params(1, LabSeeds.EVALUATION), 64,
                ProxyGoldenEvaluator.DEFAULT_CACHE_FLOATS);
    }

    /** The shared step-0 evaluation (null when the file is missing). */
    Map<String, Double> step0() {
        return LabFiles.readMetrics(step0File());
    }
}
