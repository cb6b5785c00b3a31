package org.distill4j.experiment;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The oracle's part of the lab: stage 0 trains it on the task (the embedded grammar's samples, or a corpus) (data/grammar.jsonl → oracle/),
 * stage 1 has it answer prompts (data/oracle.jsonl, the oracle dataset the teacher and the student's initial
 * checkpoint are trained on). Each step is skipped when its output exists.
 */
final class OracleStage {
    private static final Logger LOG = LoggerFactory.getLogger(OracleStage.class);

    static final String ORACLE_DATASET = "oracle.jsonl";

    private final LabRun run;

    OracleStage(LabRun run) {
        this.run = run;
    }

    /** Stage 0: the oracle trained from scratch on the task's examples (not with the user's inputs: their oracle is given). */
    void train() {
        Path out = run.dir.resolve(LabRun.ORACLE);
        if (LabRun.done(out)) {
            return;
        }
        LabConfig cfg = run.cfg;
        long t0 = System.nanoTime();
        LOG.info("stage 0: training the oracle on " + cfg.oracleExamples() + " examples of the " + cfg.task() + " task");
        SplittableRandom rng = new SplittableRandom(cfg.taskSeed() ^ 0x0AC1EL);
        List<String[]> pairs = new ArrayList<>();
        for (int i = 0; i < cfg.oracleExamples(); i++) {
            pairs.add(run.task.oracleExample(cfg.taskSeed(), i, rng));
        }
        LabFiles.writePairs(run.data("grammar.jsonl"), pairs);
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Transformer.random(run.modelConfig(cfg.oracle()), m, LabSeeds.ORACLE)) {
            new SftStage(run).sft(out, model, pairs, cfg.oracleSteps(), LabSeeds.ORACLE);
        }
        LOG.info(String.format("timing: stage 0 (oracle) took %.1f s (process CPU time so far %.1f s)", (System.nanoTime() - t0) / 1e9,
                LabRun.cpuSeconds()));
    }

    /** Stage 1: the oracle's answers to the oracle prompts. */
    void answer() {
        Path file = run.data(ORACLE_DATASET);
        if (Files.exists(file)) {
            return;
        }
        long t0 = System.nanoTime();
        List<String> prompts = run.oraclePromptTexts();
        LOG.info("stage 1: the oracle answers " + prompts.size() + " prompts");
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = Checkpoint.loadTransformer(run.modelDir(LabRun.ORACLE), m);
             Tokenizer tok = Tokenizer.load(run.tokenizerFile())) {
            List<long[]> ids = new ArrayList<>();
            for (String p : prompts) {
                ids.add(tok.encode(p, true));
            }
            List<Sample> samples = new Sampler(oracle, tok, 256).generate(ids, run.params(1, LabSeeds.ORACLE_ANSWERS));
            List<String[]> pairs = new ArrayList<>();
            for (Sample s : samples) {
                pairs.add(new String[] {prompts.get(s.promptIndex()), s.text()});
            }
            LabFiles.writePairs(file, pairs);
        }
        LOG.info(String.format("timing: stage 1 (oracle answers) took %.1f s", (System.nanoTime() - t0) / 1e9));
    }
}
