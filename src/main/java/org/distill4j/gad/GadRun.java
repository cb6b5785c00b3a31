package org.distill4j.gad;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.distill4j.data.PromptTemplate;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Lora;
import org.distill4j.lm.LoraConfig;
import org.distill4j.train.RunSettings;
import org.distill4j.train.Trainer;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;

/**
 * One run of a GAD-family method on a student checkpoint: pairs the training prompts with the teacher's
 * responses in the student's tokens, builds the discriminator from the student when the method needs
 * one, and trains (resumably) into {@code out}.
 */
public final class GadRun {
    private GadRun() {}

    /**
     * @param evaluation given the student being trained, the metrics computed at each evaluation (or null)
     * @param settings   the run's settings, saved in its checkpoints (null: not checked on resume)
     * @param monitor    the live game monitor, fed every metrics row (null: none); a resumed run replays the rows
     *                   its checkpoint had written first
     */
    public static Trainer.Result run(Path studentDir, GadConfig cfg, TeacherResponses teacher, List<String> prompts,
                                        Function<LanguageModel, Supplier<Map<String, Double>>> evaluation, Path out,
                                        boolean resume, RunSettings settings, GameMonitor monitor, PrintWriter log) {
        return run(studentDir, null, cfg, teacher, prompts, evaluation, out, resume, settings, monitor, log);
    }

    /**
     * As above; with {@code lora} (null: full fine-tuning) the generator and the discriminator each train adapters of
     * their own on the student's one frozen copy of the base, the discriminator's head whole.
     */
    public static Trainer.Result run(Path studentDir, LoraConfig lora, GadConfig cfg, TeacherResponses teacher, List<String> prompts,
                                        Function<LanguageModel, Supplier<Map<String, Double>>> evaluation, Path out,
                                        boolean resume, RunSettings settings, GameMonitor monitor, PrintWriter log) {
        try (LanguageModel student = LanguageModel.load(studentDir)) {
            String base = studentDir.toAbsolutePath().normalize().toString();
            if (lora != null) {
                student.transformer().attach(Lora.init(student.config(), lora, base, student.manager(), cfg.seed()));
            }
            long eos = student.config().eosTokenId();
            if (eos < 0) {
                throw new UserError(studentDir + "/config.json: no eos_token_id (responses must end with one)");
            }
            PromptTemplate template = PromptTemplate.forCheckpoint(studentDir, student.tokenizer(), eos);
            TeacherResponses.Pairing pairing = teacher.pair(prompts, template, cfg.maxNewTokens(),
                    student.config().maxPositionEmbeddings());
            log.println("gad: " + pairing.summary());
            log.flush();
            if (pairing.examples().isEmpty()) {
                throw new UserError("no (prompt, teacher response) pairs left to train on: " + pairing.summary());
            }
            Map<String, Path> files = Map.of(Checkpoint.TOKENIZER, studentDir.resolve(Checkpoint.TOKENIZER));
            try (NDManager dm = NDManager.newBaseManager();
                 Discriminator d = !cfg.anyDiscriminator() ? null : lora == null ? Discriminator.fromStudent(studentDir, dm, cfg.seed())
                         : Discriminator.withAdapter(student.transformer(), lora, base, dm, cfg.seed())) {
                GadStep step = new GadStep(student.transformer(), d, cfg, pairing.examples(), files, student.eosIds());
                if (evaluation != null) {
                    step.evaluation(evaluation.apply(student));
                }
                Trainer trainer = new Trainer(out, cfg.loop()).settings(settings);
                if (monitor != null) {
                    if (resume) {
                        monitor.replay(rowsBeforeResume(out));
                    }
                    trainer.onRow(monitor::test);
                }
                return trainer.run(step, resume);
            }
        }
    }

    /** The metrics rows a resumed run keeps: those up to its checkpoint's step (none without a checkpoint). */
    private static List<JsonNode> rowsBeforeResume(Path out) {
        Path state = Checkpoint.recover(Trainer.checkpointDir(out)).resolve(Trainer.STATE_FILE);
        Path metrics = out.resolve(Trainer.METRICS_FILE);
        if (!Files.exists(state) || !Files.exists(metrics)) {
            return List.of();
        }
        long step = Json.read(state).path("step").asLong();
        List<JsonNode> rows = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(metrics)) {
            if (l.value().path("step").asLong() <= step) {
                rows.add(l.value());
            }
        }
        return rows;
    }
}
