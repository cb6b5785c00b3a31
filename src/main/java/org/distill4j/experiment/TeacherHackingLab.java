package org.distill4j.experiment;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.data.BatchOrder;
import org.distill4j.data.DataSource;
import org.distill4j.data.Example;
import org.distill4j.data.PromptTemplate;
import org.distill4j.eval.HackingDetector;
import org.distill4j.eval.LabEvaluator;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.distill4j.lm.WordLevelTokenizer;
import org.distill4j.loss.Divergence;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.train.KdObjective;
import org.distill4j.train.SftObjective;
import org.distill4j.train.TrainConfig;
import org.distill4j.train.Trainer;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;

/**
 * The teacher-hacking lab on the embedded task (docs/teacher-hacking-lab.md):
 * stage 0 trains the oracle on the task's grammar; stage 1 has the oracle answer prompts and trains
 * the teacher (larger) and the student's initial checkpoint (smaller) on that oracle dataset; stage 2
 * distils the student from the teacher with every data source and dataset variant, for every seed,
 * evaluating proxy (teacher↔student) and golden (oracle↔student) metrics as it goes. Every stage writes
 * into the run directory and is skipped when its output exists, so a killed run resumes.
 */
public final class TeacherHackingLab {
    private final Path dir;
    private final LabConfig cfg;
    private final EmbeddedTask task = new EmbeddedTask();

    private final LabJob.Runner runner;

    /** @param runner runs stage 1 and 2 jobs (in this process, or in parallel worker processes) */
    public TeacherHackingLab(Path dir, LabConfig cfg, LabJob.Runner runner) {
        this.dir = dir;
        this.cfg = cfg;
        this.runner = runner;
    }

    public Path tokenizerFile() {
        return dir.resolve("tokenizer.json");
    }

    public void run() {
        if (!Files.exists(tokenizerFile())) {
            WordLevelTokenizer.write(tokenizerFile(), task.vocabulary());
        }
        stage0Oracle();
        oracleDataset();
        List<LabJob> sft = new ArrayList<>();
        for (String model : List.of("teacher", "student-init")) {
            if (!done(dir.resolve(model))) {
                sft.add(new LabJob(LabJob.Kind.SFT, model, 0));
            }
        }
        runner.run(dir, sft, this::runJob);
        List<LabJob> distill = new ArrayList<>();
        for (long seed : cfg.seeds()) {
            for (LabVariant v : LabVariant.all(cfg)) {
                if (!done(dir.resolve("seed-" + seed).resolve(v.name()))) {
                    prepareSeed(seed);
                    distill.add(new LabJob(LabJob.Kind.DISTILL, v.name(), seed));
                }
            }
        }
        runner.run(dir, distill, this::runJob);
    }

    /** Runs one job in this process (the worker side of {@link LabJob.Runner}). */
    public void runJob(LabJob job) {
        switch (job.kind()) {
            case SFT -> {
                System.err.println("stage 1: SFT of the " + job.name() + " on the oracle dataset");
                LabConfig.ModelSize size = job.name().equals("teacher") ? cfg.teacher() : cfg.student();
                sft(dir.resolve(job.name()), modelConfig(size), readPairs(dir.resolve("data").resolve("oracle.jsonl")),
                        cfg.sftSteps(), job.name().equals("teacher") ? 12 : 13);
            }
            case DISTILL -> {
                LabVariant v = LabVariant.all(cfg).stream().filter(x -> x.name().equals(job.name())).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("unknown variant " + job.name()));
                System.err.printf("stage 2: seed %d, %s%n", job.seed(), v.name());
                distillVariant(v, job.seed());
            }
        }
    }

    private ModelConfig modelConfig(LabConfig.ModelSize s) {
        int vocab = task.vocabulary().size() + 4;
        return ModelConfig.llama(vocab, s.hidden(), s.intermediate(), s.layers(), s.heads(), s.kvHeads(), 128, true,
                WordLevelTokenizer.BOS_ID, WordLevelTokenizer.EOS_ID, WordLevelTokenizer.PAD_ID);
    }

    private static boolean done(Path modelDir) {
        return Files.exists(modelDir.resolve(Checkpoint.WEIGHTS));
    }

    private void stage0Oracle() {
        Path out = dir.resolve("oracle");
        if (done(out)) {
            return;
        }
        System.err.println("stage 0: training the oracle on " + cfg.oracleExamples() + " grammar samples");
        SplittableRandom rng = new SplittableRandom(cfg.taskSeed() ^ 0x0AC1EL);
        List<String[]> pairs = new ArrayList<>();
        for (int i = 0; i < cfg.oracleExamples(); i++) {
            var items = task.prompt(cfg.taskSeed(), EmbeddedTask.Split.ORACLE, i);
            pairs.add(new String[] {task.render(items), task.sample(items, rng)});
        }
        writePairs(dir.resolve("data").resolve("grammar.jsonl"), pairs);
        sft(out, modelConfig(cfg.oracle()), pairs, cfg.oracleSteps(), 11);
    }

    private void oracleDataset() {
        Path data = dir.resolve("data").resolve("oracle.jsonl");
        if (!Files.exists(data)) {
            System.err.println("stage 1: the oracle answers " + cfg.oraclePrompts() + " prompts");
            List<String> prompts = new ArrayList<>();
            for (int i = 0; i < cfg.oraclePrompts(); i++) {
                prompts.add(task.render(task.prompt(cfg.taskSeed(), EmbeddedTask.Split.ORACLE, cfg.oracleExamples() + i)));
            }
            try (NDManager m = NDManager.newBaseManager();
                 Transformer oracle = Checkpoint.loadTransformer(dir.resolve("oracle"), m);
                 Tokenizer tok = Tokenizer.load(tokenizerFile())) {
                List<long[]> ids = new ArrayList<>();
                for (String p : prompts) {
                    ids.add(tok.encode(p, true));
                }
                List<Sample> samples = new Sampler(oracle, tok, 256).generate(ids, params(1, 77));
                List<String[]> pairs = new ArrayList<>();
                for (Sample s : samples) {
                    pairs.add(new String[] {prompts.get(s.promptIndex()), s.text()});
                }
                writePairs(data, pairs);
            }
        }
    }

    private SamplingParams params(int n, long seed) {
        return new SamplingParams(1.0, 0, 1.0, cfg.maxNewTokens(), n, seed, Set.of(WordLevelTokenizer.EOS_ID), List.of());
    }

    private void sft(Path out, ModelConfig config, List<String[]> pairs, int steps, long seed) {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Transformer.random(config, m, seed);
             Tokenizer tok = Tokenizer.load(tokenizerFile())) {
            PromptTemplate template = new PromptTemplate(tok, WordLevelTokenizer.EOS_ID);
            List<Example> examples = new ArrayList<>();
            for (String[] p : pairs) {
                examples.add(template.example(p[0], p[1]));
            }
            List<Example> val = examples.subList(0, Math.min(200, examples.size() / 10));
            List<Example> train = examples.subList(val.size(), examples.size());
            SftObjective objective = new SftObjective(model, train, val, cfg.sftBatch(), 1, seed);
            TrainConfig tc = new TrainConfig(steps, 1, cfg.sftLr(), cfg.sftLr() / 10, Math.min(50, steps / 10), 0.01, 1.0,
                    Math.max(1, steps / 4), Math.max(1, steps / 4), Math.max(1, steps / 20), seed, 5);
            new Trainer(model, tc, out, Map.of(Checkpoint.TOKENIZER, tokenizerFile())).run(objective, true);
        }
    }

    private Path drawsFile(long seed) {
        return dir.resolve("data").resolve("teacher-draws-seed-" + seed + ".jsonl");
    }

    private List<long[]> distillPrompts(Tokenizer tok, long seed) {
        List<long[]> prompts = new ArrayList<>();
        for (int i = 0; i < cfg.distillPrompts(); i++) {
            prompts.add(tok.encode(task.render(task.prompt(cfg.taskSeed() + seed, EmbeddedTask.Split.DISTILL, i)), true));
        }
        return prompts;
    }

    /**
     * One teacher draw of G_max generations for each of the seed's prompts, saved once: every offline
     * dataset of the seed is a prefix of it (nested budgets, and the same data whichever worker runs).
     */
    private void prepareSeed(long seed) {
        Path file = drawsFile(seed);
        if (Files.exists(file)) {
            return;
        }
        System.err.println("stage 2: the teacher samples the offline data of seed " + seed);
        int gMax = LabVariant.maxGenerations(LabVariant.all(cfg));
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = Checkpoint.loadTransformer(dir.resolve("teacher"), m);
             Tokenizer tok = Tokenizer.load(tokenizerFile())) {
            List<long[]> prompts = distillPrompts(tok, seed);
            List<Sample> draws = new Sampler(teacher, tok, 256).generate(prompts, params(gMax, 1000 + seed));
            List<ObjectNode> rows = new ArrayList<>();
            for (Sample d : draws) {
                ObjectNode r = Json.object();
                r.put("prompt_index", d.promptIndex());
                r.put("sample", d.sampleIndex());
                var ids = r.putArray("response_ids");
                for (long t : d.tokens()) {
                    ids.add(t);
                }
                rows.add(r);
            }
            Jsonl.write(file, rows);
        }
    }

    private void distillVariant(LabVariant v, long seed) {
        int gMax = LabVariant.maxGenerations(LabVariant.all(cfg));
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = Checkpoint.loadTransformer(dir.resolve("oracle"), m);
             Transformer teacher = Checkpoint.loadTransformer(dir.resolve("teacher"), m);
             Tokenizer tok = Tokenizer.load(tokenizerFile())) {
            List<long[]> prompts = distillPrompts(tok, seed);
            List<long[]> draws = new ArrayList<>();
            for (Jsonl.Line l : Jsonl.read(drawsFile(seed))) {
                var a = l.value().get("response_ids");
                long[] ids = new long[a.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = a.get(i).asLong();
                }
                draws.add(ids);
            }
            List<long[]> val = new ArrayList<>();
            for (int i = 0; i < cfg.valPrompts(); i++) {
                val.add(tok.encode(task.render(task.prompt(cfg.taskSeed(), EmbeddedTask.Split.VALIDATION, i)), true));
            }
            LabEvaluator evaluator = new LabEvaluator(oracle, teacher, val, params(1, 2000), 1, 64);
            distill(dir.resolve("seed-" + seed).resolve(v.name()), v, seed, teacher, prompts, draws, gMax, evaluator);
        }
    }

    private void distill(Path out, LabVariant v, long seed, Transformer teacher, List<long[]> prompts, List<long[]> draws,
                         int gMax, LabEvaluator evaluator) {
        try (NDManager m = NDManager.newBaseManager();
             Transformer student = Checkpoint.loadTransformer(dir.resolve("student-init"), m)) {
            int batch = cfg.distillBatch();
            SamplingParams sampling = params(1, 3000 + seed);
            DataSource source = switch (v.source()) {
                case "offline" -> {
                    List<Example> data = new ArrayList<>();
                    for (int p = 0; p < v.prompts(); p++) {
                        for (int g = 0; g < v.generations(); g++) {
                            data.add(new Example(prompts.get(p), draws.get(p * gMax + g)));
                        }
                    }
                    yield new DataSource.Offline(data, new BatchOrder(data.size(), batch, 1, seed));
                }
                case "online-teacher" -> new DataSource.OnlineTeacher(new Sampler(teacher, null, 256), prompts,
                        new BatchOrder(prompts.size(), batch, 1, seed), sampling);
                case "online-student" -> new DataSource.OnlineStudent(new Sampler(student, null, 256), prompts,
                        new BatchOrder(prompts.size(), batch, 1, seed), sampling);
                default -> throw new IllegalStateException(v.source());
            };
            DistillationLoss loss = new DistillationLoss(Divergence.parse(cfg.loss(), 0.5, 0.1), cfg.temperature());
            KdObjective objective = new KdObjective(student, teacher, source, loss, 0, 1, Set.of(WordLevelTokenizer.EOS_ID),
                    () -> evaluator.evaluate(student));
            TrainConfig tc = new TrainConfig(cfg.distillSteps(), 1, cfg.distillLr(), cfg.distillLr(), 10, 0.0, 1.0,
                    cfg.evalEvery(), cfg.evalEvery() * 4L, cfg.evalEvery(), seed, 5);
            LiveDetector live = new LiveDetector(HackingDetector.defaults(), false);
            // early evaluations at 1/4 and 1/2 of the interval: the power-law fit needs the first decades of steps
            java.util.Set<Long> early = java.util.Set.of((long) Math.max(1, cfg.evalEvery() / 4), (long) Math.max(1, cfg.evalEvery() / 2));
            new Trainer(student, tc, out, Map.of(Checkpoint.TOKENIZER, tokenizerFile())).onEvaluation(live).evaluateAlsoAt(early)
                    .run(objective, true);
            ObjectNode meta = Json.object();
            meta.put("variant", v.name());
            meta.put("source", v.source());
            meta.put("prompts", v.prompts());
            meta.put("generations", v.generations());
            meta.put("seed", seed);
            Json.write(out.resolve("variant.json"), meta);
        }
    }

    private static void writePairs(Path file, List<String[]> pairs) {
        List<ObjectNode> rows = new ArrayList<>();
        for (String[] p : pairs) {
            ObjectNode r = Json.object();
            r.put("prompt", p[0]);
            r.put("response", p[1]);
            rows.add(r);
        }
        Jsonl.write(file, rows);
    }

    private static List<String[]> readPairs(Path file) {
        List<String[]> out = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(file)) {
            out.add(new String[] {l.text(file, "prompt"), l.text(file, "response")});
        }
        return out;
    }
}
