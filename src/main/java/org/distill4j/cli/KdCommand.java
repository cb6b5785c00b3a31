package org.distill4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.distill4j.data.BatchOrder;
import org.distill4j.data.DataSource;
import org.distill4j.data.Example;
import org.distill4j.data.PromptTemplate;
import org.distill4j.data.SftData;
import org.distill4j.data.SourceKind;
import org.distill4j.eval.HackingDetector;
import org.distill4j.eval.ProxyGoldenEvaluator;
import org.distill4j.eval.LiveDetector;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.Divergence;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.train.TopKCache;
import org.distill4j.train.KdObjective;
import org.distill4j.train.TrainConfig;
import org.distill4j.train.RunSettings;
import org.distill4j.train.ObjectiveStep;
import org.distill4j.train.Trainer;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code distill kd}: white-box distillation of a student from a teacher whose logits we read. */
@Command(name = "kd", mixinStandardHelpOptions = true,
        description = "White-box knowledge distillation: minimises a divergence between teacher and student next-token "
                + "distributions along responses from the chosen data source (teacher forward without gradient).")
public final class KdCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--teacher", required = true, description = "Teacher checkpoint directory.")
    Path teacherDir;

    @Option(names = "--student", required = true, description = "Student checkpoint directory (the starting point).")
    Path studentDir;

    @Option(names = "--prompts", required = true, description = "Distillation prompts JSONL ({\"prompt\"}, or {\"messages\": [...]} rendered by the student's chat template).")
    Path prompts;

    @Option(names = "--source", defaultValue = "offline", description = "offline, online-teacher, online-student or mixed. Default: ${DEFAULT-VALUE}.")
    String source;

    @Option(names = "--lambda", defaultValue = "0.5", description = "mixed: probability that a batch is on-policy (GKD's λ). Default: ${DEFAULT-VALUE}.")
    double lambda;

    @Option(names = "--offline-data", description = "Teacher generations JSONL ({\"prompt\", \"response\"}), e.g. from `distill generate --n G`; "
            + "without it the teacher generates --generations per prompt first (saved as OUT/offline.jsonl).")
    Path offlineData;

    @Option(names = "--generations", defaultValue = "1", description = "Teacher generations per prompt for the offline set. Default: ${DEFAULT-VALUE}.")
    int generations;

    @Option(names = "--loss", defaultValue = "fkl", description = "fkl, rkl, jsd, skl, srkl or tvd (docs/losses.md). Default: ${DEFAULT-VALUE}.")
    String lossName;

    @Option(names = "--beta", defaultValue = "0.5", description = "jsd: β. Default: ${DEFAULT-VALUE}.")
    double beta;

    @Option(names = "--alpha", defaultValue = "0.1", description = "skl/srkl: α. Default: ${DEFAULT-VALUE}.")
    double alpha;

    @Option(names = "--loss-temperature", defaultValue = "1.0", description = "Softmax temperature of both models in the loss. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--temperature", defaultValue = "1.0",
            description = "Sampling temperature of generated responses (the offline set, online sources). Default: ${DEFAULT-VALUE}.")
    double samplingTemperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Distil on the teacher's top-k log-probs plus a tail bucket "
            + "(0 = full vocabulary); teacher_topk_mass in metrics.jsonl shows how much probability the top-k keeps. Default: ${DEFAULT-VALUE}.")
    int topK;

    @Option(names = "--cache-teacher", description = "offline source with --top-k: compute the teacher's top-k + tail once for the "
            + "whole offline set (OUT/teacher-topk.safetensors, reused on resume) and train without teacher forwards; without --val "
            + "the teacher is unloaded after that.")
    boolean cacheTeacher;

    @Option(names = "--ce-weight", defaultValue = "0", description = "Weight of an extra cross-entropy on the response tokens. Default: ${DEFAULT-VALUE}.")
    double ceWeight;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Generation cap of online sources. Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--val", description = "Validation prompts JSONL: the proxy metric (teacher↔student sequence KL) is evaluated on them.")
    Path val;

    @Option(names = "--oracle", description = "An oracle checkpoint: adds the golden metric (oracle↔student) to the evaluations.")
    Path oracleDir;

    @Option(names = "--on-hacking", defaultValue = "warn", description = "warn or stop when the proxy leaves its power law. Default: ${DEFAULT-VALUE}.")
    String onHacking;

    @Mixin
    TrainOptions train;

    @Override
    public Integer call() {
        if (!List.of("warn", "stop").contains(onHacking)) {
            throw new UserError("--on-hacking must be warn or stop, not '" + onHacking + "'");
        }
        Divergence divergence = Divergence.parse(lossName, beta, alpha);
        SftCommand.prepareOut(outDir());
        RunSettings settings = ConfigFile.startRun(spec, outDir(), train.resume);
        try (NDManager base = NDManager.newBaseManager();
             Transformer teacher = Checkpoint.loadTransformer(teacherDir, base);
             Transformer student = Checkpoint.loadTransformer(studentDir, base);
             Transformer oracle = oracleDir == null ? null : Checkpoint.loadTransformer(oracleDir, base);
             Tokenizer tok = Checkpoint.loadTokenizer(studentDir, student.config())) {
            checkSameTokenizer();
            teacher.setTrainable(false);
            train.lora.attach(student, studentDir, train.seed);
            long eos = student.config().eosTokenId();
            if (eos < 0) {
                throw new UserError(studentDir + "/config.json: no eos_token_id");
            }
            Set<Integer> eosIds = Set.copyOf(student.config().eosTokenIds());
            PromptTemplate template = PromptTemplate.forCheckpoint(studentDir, tok, eos);
            List<long[]> promptIds = new ArrayList<>();
            promptRecords = Jsonl.read(prompts);
            for (Jsonl.Line l : promptRecords) {
                promptIds.add(template.prompt(l, prompts));
            }
            SamplingParams sampling = new SamplingParams(samplingTemperature, 0, 1.0, maxNewTokens, 1, train.seed, eosIds, List.of());
            BatchOrder promptOrder = new BatchOrder(promptIds.size(), train.batchSize, train.gradAccum, train.seed);
            SourceKind.Online online = new SourceKind.Online(promptIds, promptOrder, new Sampler(teacher, null, 256), sampling,
                    new DataSource.Lookahead(1, 1), new Sampler(student, null, 256), sampling);
            DataSource data = SourceKind.parse(source, "--source").build(online,
                    () -> offline(teacher, tok, template, promptIds, sampling), lambda, train.seed);
            TopKCache cache = null;
            if (cacheTeacher) {
                if (!(data instanceof DataSource.Offline off) || topK < 1) {
                    throw new UserError("--cache-teacher needs --source offline and --top-k K");
                }
                cache = teacherCache(teacher, off.examples(), Math.min(student.config().vocabSize(), teacher.config().vocabSize()));
            }
            ProxyGoldenEvaluator evaluator = null;
            if (val != null) {
                List<long[]> valIds = new ArrayList<>();
                for (Jsonl.Line l : Jsonl.read(val)) {
                    valIds.add(template.prompt(l, val));
                }
                // the metrics are KLs of the models' own distributions: sampled at temperature 1 whatever --temperature says
                SamplingParams evalSampling = new SamplingParams(1.0, 0, 1.0, maxNewTokens, 1, train.seed + 17, eosIds, List.of());
                evaluator = new ProxyGoldenEvaluator(oracle, teacher, valIds, evalSampling, 1, 64);
            }
            ProxyGoldenEvaluator ev = evaluator;
            boolean unloadTeacher = cache != null && ev == null;
            if (unloadTeacher) {
                teacher.close(); // everything the loss needs is in the cache
            }
            KdObjective objective = new KdObjective(student, unloadTeacher ? null : teacher, data,
                    new DistillationLoss(divergence, temperature), ceWeight, train.gradAccum, eosIds,
                    () -> ev == null ? Map.of() : ev.evaluate(student), topK);
            if (cache != null) {
                objective.useTeacherCache(cache, ((DataSource.Offline) data).examples());
            }
            TrainConfig config = train.toConfig(objective.stepsPerEpoch());
            Trainer trainer = new Trainer(outDir(), config.loop()).settings(settings);
            trainer.onEvaluation(new LiveDetector(HackingDetector.defaults(), onHacking.equals("stop")));
            Trainer.Result r;
            try (objective) {
                r = trainer.run(new ObjectiveStep(student, config, objective,
                        Map.of(Checkpoint.TOKENIZER, studentDir.resolve(Checkpoint.TOKENIZER))), train.resume);
            }
            System.err.println("kd: " + r.steps() + " steps" + (r.stoppedEarly() ? " (stopped early: teacher hacking)" : "")
                    + "; student saved to " + outDir());
        }
        return 0;
    }

    private TopKCache teacherCache(Transformer teacher, List<Example> examples, int vocab) {
        Path file = outDir().resolve("teacher-topk.safetensors");
        TopKCache cache;
        if (java.nio.file.Files.exists(file)) {
            cache = TopKCache.load(file);
            if (cache.examples() != examples.size() || cache.k() != topK) {
                throw new UserError(file + ": cache of " + cache.examples() + " examples at k=" + cache.k() + " does not match this run ("
                        + examples.size() + " examples, k=" + topK + "); delete it to rebuild");
            }
        } else {
            cache = TopKCache.build(teacher, examples, topK, temperature, vocab, 32);
            cache.save(file);
        }
        System.err.printf("kd: teacher top-%d cache: %.1f MB for %d examples (full-vocabulary logits: %.1f MB)%n", topK,
                cache.bytes() / 1e6, cache.examples(), cache.fullLogitBytes() / 1e6);
        return cache;
    }

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    /** The --prompts records, read once in call(). */
    private List<Jsonl.Line> promptRecords;

    private Path outDir() {
        return out;
    }

    private DataSource.Offline offline(Transformer teacher, Tokenizer tok, PromptTemplate template, List<long[]> promptIds, SamplingParams sampling) {
        List<Example> examples;
        if (offlineData != null) {
            examples = SftData.load(offlineData, template, Math.min(teacher.config().vocabSize(), Integer.MAX_VALUE),
                    teacher.config().maxPositionEmbeddings()).examples();
        } else {
            if (generations < 1) {
                throw new UserError("--generations must be >= 1");
            }
            List<Sample> samples = new Sampler(teacher, tok, 256).generate(promptIds, sampling.withN(generations).withSeed(train.seed + 1));
            examples = new ArrayList<>();
            List<com.fasterxml.jackson.databind.node.ObjectNode> rows = new ArrayList<>(); // trees: prompt records' own fields stay
            for (Sample s : samples) {
                examples.add(new Example(promptIds.get(s.promptIndex()), s.tokens()));
                var row = promptRecords.get(s.promptIndex()).value().deepCopy();
                row.put("response", s.text());
                row.put("sample", s.sampleIndex());
                rows.add(row);
            }
            Jsonl.write(outDir().resolve("offline.jsonl"), rows);
        }
        return new DataSource.Offline(examples, new BatchOrder(examples.size(), train.batchSize, train.gradAccum, train.seed));
    }

    /** White-box losses compare distributions id by id: both models must share one tokenizer. */
    private void checkSameTokenizer() {
        Path a = teacherDir.resolve(Checkpoint.TOKENIZER);
        Path b = studentDir.resolve(Checkpoint.TOKENIZER);
        if (!java.nio.file.Files.exists(a)) {
            throw new UserError(teacherDir + ": no tokenizer.json (a white-box loss needs to check the teacher's tokenizer)");
        }
        var ta = Json.read(a);
        var tb = Json.read(b);
        if (!ta.path("model").equals(tb.path("model")) || !ta.path("added_tokens").equals(tb.path("added_tokens"))) {
            throw new UserError("teacher and student tokenizers differ (" + a + " vs " + b
                    + "): a white-box loss compares token ids one to one; use a black-box method (SeqKD/GAD) across tokenizers");
        }
    }
}
