package org.distill4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.distill4j.data.Conversation;
import org.distill4j.gad.GadConfig;
import org.distill4j.gad.GadEvaluation;
import org.distill4j.gad.GadMethod;
import org.distill4j.gad.GadRun;
import org.distill4j.gad.GameMonitor;
import org.distill4j.train.Trainer;
import org.distill4j.train.RunSettings;
import org.distill4j.gad.PolicyLoss;
import org.distill4j.gad.TeacherResponses;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Transformer;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The flags of the black-box verbs (gad, seqkd), and the run they describe (a picocli mixin). */
public final class GadOptions {
    @Option(names = "--student", required = true, description = "Student checkpoint directory (the generator; the discriminator starts from it too).")
    Path student;

    @Mixin
    BlackBoxTeacherOptions teacher;

    @Option(names = "--prompts", required = true, description = "Training prompts JSONL ({\"prompt\"}).")
    Path prompts;

    @Option(names = "--val-prompts", description = "Evaluation prompts JSONL ({\"prompt\"} with an optional \"reference\"; "
            + "prompts without one get the teacher's response): n-gram F1, ROUGE-L, lengths at every evaluation.")
    Path valPrompts;

    @Option(names = "--oracle", description = "Controlled setting: a checkpoint sharing the student's tokenizer that scores the "
            + "student's evaluation responses (oracle_ll_tok).")
    Path oracle;

    @Option(names = "--out", required = true, description = "Run directory.")
    Path out;

    @Option(names = "--prompts-per-step", defaultValue = "8", description = "Prompts per step. Default: ${DEFAULT-VALUE}.")
    int promptsPerStep;

    @Option(names = "--micro-prompts", defaultValue = "8", description = "Prompts per forward/backward pass (memory). Default: ${DEFAULT-VALUE}.")
    int microPrompts;

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "Length cap of student samples and teacher responses. Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--lr", defaultValue = "1e-5", description = "Student learning rate (constant). Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--lr-warmup-steps", defaultValue = "0", description = "Linear LR warmup steps. Default: ${DEFAULT-VALUE}.")
    long lrWarmup;

    @Option(names = "--max-grad-norm", defaultValue = "0.2", description = "Student gradient-norm clip (the reference scripts' 0.2). Default: ${DEFAULT-VALUE}.")
    double maxGradNorm;

    @Option(names = "--weight-decay", defaultValue = "0.01",
            description = "AdamW decoupled weight decay of the student and the discriminator (norms, biases, embeddings exempt). Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(names = "--eval-every", defaultValue = "50", description = "Evaluation every k steps (and at 0 and the end). Default: ${DEFAULT-VALUE}.")
    long evalEvery;

    @Option(names = "--eval-temperature", defaultValue = "1.0", description = "Sampling temperature of evaluation responses. Default: ${DEFAULT-VALUE}.")
    double evalTemperature;

    @Option(names = "--save-every", defaultValue = "50", description = "Resumable checkpoint every k steps. Default: ${DEFAULT-VALUE}.")
    long saveEvery;

    @Option(names = "--log-every", defaultValue = "1", description = "A metrics row every k steps. Default: ${DEFAULT-VALUE}.")
    long logEvery;

    @Option(names = "--seed", defaultValue = "0", description = "Seeds the head, data order and sampling. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--resume", description = "Continue the run saved in --out.")
    boolean resume;

    @Option(names = "--config", description = "YAML file whose keys mirror these flags (flags given here win).")
    Path config;

    @Mixin
    LoraOptions lora;

    /**
     * What the discriminator/GRPO flags say; the seqkd verb passes its fixed values (temperature 1: plain SFT).
     *
     * @param dLr null: the student's learning rate
     */
    record Game(int samples, double temperature, Double dLr, double dMaxGradNorm, double clip, double klCoef) {}

    GadConfig config(GadMethod method, long warmup, long dAlone, long main, long dSteps, Game g) {
        if (promptsPerStep < 1 || microPrompts < 1 || maxNewTokens < 1) {
            throw new UserError("--prompts-per-step, --micro-prompts and --max-new-tokens must be >= 1");
        }
        if (!(lr > 0)) {
            throw new UserError("--lr must be > 0");
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new UserError("--weight-decay must be finite and >= 0");
        }
        try {
            return GadConfig.of(method.phases(warmup, dAlone, main, dSteps)).promptsPerStep(promptsPerStep).microPrompts(microPrompts)
                    .samples(g.samples()).temperature(g.temperature()).maxNewTokens(maxNewTokens).generatorLr(lr)
                    .discriminatorLr(g.dLr() == null ? lr : g.dLr()).lrWarmupSteps(lrWarmup).generatorClip(maxGradNorm)
                    .discriminatorClip(g.dMaxGradNorm()).weightDecay(weightDecay).policy(new PolicyLoss(g.clip(), g.klCoef()))
                    .evalEvery(evalEvery).saveEvery(saveEvery).logEvery(logEvery).seed(seed).build();
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** Collects the teacher's text, then trains (fed to the game monitor, if any); prints where the student is. */
    int run(GadConfig cfg, GameMonitor monitor, picocli.CommandLine.Model.CommandSpec spec, PrintWriter err, PrintWriter outWriter) {
        SftCommand.prepareOut(out);
        RunSettings settings = ConfigFile.startRun(spec, out, resume);
        List<String> train = BlackBoxTeacherOptions.prompts(prompts);
        TeacherResponses responses = teacher.responses(train, out.resolve("teacher-responses.jsonl"), err);
        Function<LanguageModel, Supplier<Map<String, Double>>> evaluation = valPrompts == null ? null : evaluation(err);
        Trainer.Result result = GadRun.run(student, lora.config(), cfg, responses, train, evaluation, out, resume, settings, monitor, err);
        if (result.stoppedEarly()) {
            outWriter.println("stopped at step " + result.steps() + " by the game monitor (--on-hacking stop): the student of that step is saved");
        }
        outWriter.println("student: " + out.toAbsolutePath() + (cfg.anyDiscriminator()
                ? "  discriminator: " + out.resolve("discriminator").toAbsolutePath() : "")
                + "  metrics: " + out.resolve("metrics.jsonl").toAbsolutePath());
        outWriter.flush();
        return 0;
    }

    private Function<LanguageModel, Supplier<Map<String, Double>>> evaluation(PrintWriter err) {
        List<String> texts = new ArrayList<>();
        List<String> given = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(valPrompts)) {
            texts.add(Conversation.promptKey(l, valPrompts));
            given.add(l.value().path("reference").isTextual() ? l.value().get("reference").asText() : null);
        }
        if (texts.isEmpty()) {
            throw new UserError(valPrompts + ": no prompts");
        }
        List<String> ask = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            if (given.get(i) == null) {
                ask.add(texts.get(i));
            }
        }
        TeacherResponses fromTeacher = ask.isEmpty() ? null : teacher.responses(ask, out.resolve("teacher-val-responses.jsonl"), err);
        List<String> prompts = new ArrayList<>();
        List<String> refs = new ArrayList<>();
        int missing = 0;
        for (int i = 0; i < texts.size(); i++) {
            String ref = given.get(i) != null ? given.get(i)
                    : fromTeacher.get(texts.get(i)).isEmpty() ? null : fromTeacher.get(texts.get(i)).get(0);
            if (ref == null) {
                missing++;
                continue;
            }
            prompts.add(texts.get(i));
            refs.add(ref);
        }
        if (missing > 0) {
            err.println("gad: " + missing + " evaluation prompts have no reference response and are skipped");
        }
        if (prompts.isEmpty()) {
            throw new UserError(valPrompts + ": no evaluation prompt has a reference response");
        }
        return student -> {
            Transformer o = oracle == null ? null : Checkpoint.loadTransformer(oracle, student.manager());
            if (o != null && o.config().vocabSize() != student.config().vocabSize()) {
                throw new UserError(oracle + "/config.json: vocab_size " + o.config().vocabSize() + " differs from the student's "
                        + student.config().vocabSize() + " (the oracle must share the student's tokenizer)");
            }
            SamplingParams p = new SamplingParams(evalTemperature, 0, 1.0, maxNewTokens, 1, seed + 0xE7A1L,
                    Set.copyOf(student.eosIds()), List.of());
            return new GadEvaluation(student, prompts, refs, p, o, null);
        };
    }
}
