package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Lora;
import org.distill4j.lm.Safetensors;
import org.distill4j.train.ObjectiveStep;
import org.distill4j.train.Trainer;
import org.distill4j.train.TrainingRuns;
import org.distill4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA through the verbs: what a LoRA run trains, saves and checkpoints; --adapter; merge; the flags' help. */
class LoraCommandTest {
    @TempDir
    Path tmp;

    /** A tiny trained base (2 sft steps) and the arguments of a LoRA sft run on it. */
    private List<String> loraSft(Path base, Path out, String... extra) throws Exception {
        TrainingRuns.Verb sft = TrainingRuns.sft(tmp);
        if (!Files.exists(base.resolve(Checkpoint.WEIGHTS))) {
            assertThat(Main.run(sft.args(base, 2, 2, 1).toArray(String[]::new))).isZero();
        }
        List<String> args = new ArrayList<>(List.of("sft", "--model", base.toString(), "--data", tmp.resolve("train.jsonl").toString(),
                "--val", tmp.resolve("val.jsonl").toString(), "--out", out.toString(), "--max-steps", "6", "--batch-size", "8",
                "--lr", "1e-2", "--lr-warmup-steps", "1", "--save-every", "3", "--eval-every", "3", "--log-every", "1", "--seed", "5",
                "--lora-r", "4", "--lora-alpha", "8"));
        args.addAll(List.of(extra));
        return args;
    }

    private static byte[] digest(Path f) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
    }

    @Test
    void aLoraRunTrainsAndSavesOnlyTheAdapterAndMergeGivesTheAdaptedModel() throws Exception {
        Path base = tmp.resolve("base");
        Path out = tmp.resolve("lora");
        List<String> args = loraSft(base, out, "--lora-dropout", "0.1", "--lora-target", "q_proj,v_proj,down_proj");
        byte[] before = digest(base.resolve(Checkpoint.WEIGHTS));
        CliErrorsTest.Result r = CliErrorsTest.run(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(digest(base.resolve(Checkpoint.WEIGHTS))).isEqualTo(before);
        // the run's output is a PEFT adapter naming its base; the base weights are not written, neither at the end nor in checkpoints
        assertThat(out.resolve(Lora.CONFIG)).exists();
        assertThat(out.resolve(Checkpoint.WEIGHTS)).doesNotExist();
        Path student = out.resolve(Trainer.CHECKPOINT_DIR).resolve(ObjectiveStep.STUDENT_DIR);
        assertThat(student.resolve(Lora.WEIGHTS)).exists();
        assertThat(student.resolve(Checkpoint.WEIGHTS)).doesNotExist();
        JsonNode cfg = Json.read(out.resolve(Lora.CONFIG));
        assertThat(cfg.path("r").asInt()).isEqualTo(4);
        assertThat(cfg.path("lora_alpha").asDouble()).isEqualTo(8.0);
        assertThat(cfg.path("lora_dropout").asDouble()).isEqualTo(0.1);
        assertThat(cfg.path("target_modules").toString()).isEqualTo("[\"q_proj\",\"v_proj\",\"down_proj\"]");
        assertThat(cfg.path("base_model_name_or_path").asText()).isEqualTo(base.toAbsolutePath().normalize().toString());
        try (Safetensors.Reader adapter = Safetensors.open(out.resolve(Lora.WEIGHTS));
             Safetensors.Reader opt = Safetensors.open(student.resolve(ObjectiveStep.OPTIMIZER_FILE))) {
            assertThat(adapter.tensors()).hasSize(2 * 3 * 2); // A and B of 3 modules in 2 layers
            assertThat(adapter.tensors().keySet()).allMatch(k -> k.startsWith("base_model.model.model.layers.") && k.contains(".lora_"));
            // optimizer state for the adapters only: the frozen base has none
            assertThat(opt.tensors().keySet()).filteredOn(k -> !k.contains(".lora_")).allMatch(k -> !k.contains("layers") && !k.contains("embed"));
            boolean trained = false;
            for (float v : adapter.readFloats("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight")) {
                trained |= v != 0;
            }
            assertThat(trained).as("B moved from its zero initialisation").isTrue();
        }
        // --adapter, or the adapter directory as --model: the same greedy text
        String[] gen = {"generate", "--prompt", "the", "--temperature", "0", "--max-new-tokens", "6"};
        CliErrorsTest.Result a = CliErrorsTest.run(concat(gen, "--model", base.toString(), "--adapter", out.toString()));
        CliErrorsTest.Result b = CliErrorsTest.run(concat(gen, "--model", out.toString()));
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(b.out()).isEqualTo(a.out());
        // merge: an ordinary checkpoint whose scores equal the adapted model's
        Path merged = tmp.resolve("merged");
        CliErrorsTest.Result m = CliErrorsTest.run("merge", "--base", base.toString(), "--adapter", out.toString(), "--out", merged.toString());
        assertThat(m.code()).as(m.err()).isZero();
        assertThat(merged.resolve(Checkpoint.WEIGHTS)).exists();
        assertThat(merged.resolve(Checkpoint.TOKENIZER)).exists();
        List<long[]> prompts = List.of(new long[] {1, 5, 6}, new long[] {1, 7});
        List<long[]> responses = List.of(new long[] {8, 9, 10, 2}, new long[] {11, 5, 2});
        try (LanguageModel adapted = LanguageModel.load(base, out); LanguageModel plain = LanguageModel.load(merged);
             LanguageModel original = LanguageModel.load(base)) {
            List<float[]> want = adapted.scoreResponses(prompts, responses, 2);
            List<float[]> got = plain.scoreResponses(prompts, responses, 2);
            List<float[]> baseScores = original.scoreResponses(prompts, responses, 2);
            double diff = 0;
            double moved = 0;
            for (int i = 0; i < want.size(); i++) {
                diff = Math.max(diff, org.distill4j.lm.Fixtures.maxAbsDiff(got.get(i), want.get(i)));
                moved = Math.max(moved, org.distill4j.lm.Fixtures.maxAbsDiff(baseScores.get(i), want.get(i)));
            }
            assertThat(diff).as("merged vs adapted log-probs").isLessThan(1e-4); // one matmul vs two: rounding only
            assertThat(moved).as("the adapter changed the model").isGreaterThan(1e-3);
        }
        // for tools/fixtures/check_peft_load.py --merged target/lora-cli/merged --base target/lora-cli/base --adapter target/lora-cli/adapter
        Path export = Path.of("target", "lora-cli");
        for (String[] d : new String[][] {{"base", base.toString()}, {"adapter", out.toString()}, {"merged", merged.toString()}}) {
            Path to = export.resolve(d[0]);
            Files.createDirectories(to);
            try (var files = Files.list(Path.of(d[1]))) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    @Test
    void everyTrainerListsTheLoraFlagsWithOneSharedDescription() {
        String reference = null;
        for (String verb : List.of("sft", "kd", "seqkd", "gad")) {
            CliErrorsTest.Result r = CliErrorsTest.run(verb, "--help");
            assertThat(r.code()).isZero();
            String help = r.out().replaceAll("\\s+", " ");
            for (String flag : List.of("--lora-r", "--lora-alpha", "--lora-dropout", "--lora-target", "--lora-rslora")) {
                assertThat(help).as(verb).contains(flag);
            }
            String section = help.substring(help.lastIndexOf("--lora-alpha"), help.lastIndexOf("--lora-target")); // the options' descriptions
            if (reference == null) {
                reference = section;
            }
            assertThat(section).as(verb).isEqualTo(reference);
        }
    }

    @Test
    void loraNeedsABaseAndNamesTheModulesWhenATargetMatchesNone() throws Exception {
        Path base = tmp.resolve("base");
        List<String> args = loraSft(base, tmp.resolve("x"), "--lora-target", "c_attn");
        CliErrorsTest.Result r = CliErrorsTest.run(args.toArray(String[]::new));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("c_attn").contains("q_proj").doesNotContain("\tat ");
        List<String> init = TrainingRuns.sft(tmp).args(tmp.resolve("y"), 2, 2, 1);
        init.addAll(List.of("--lora-r", "4"));
        CliErrorsTest.Result i = CliErrorsTest.run(init.toArray(String[]::new));
        assertThat(i.code()).isEqualTo(2);
        assertThat(i.err()).contains("--lora-r").contains("--model");
    }

    private static String[] concat(String[] a, String... b) {
        List<String> out = new ArrayList<>(List.of(a));
        out.addAll(List.of(b));
        return out.toArray(String[]::new);
    }
}
