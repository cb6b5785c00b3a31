package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.distill4j.cli.Main;
import org.distill4j.lm.Safetensors;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** N steps straight equal N/2 steps, a SIGKILL, and a resume for the rest: weights bit for bit, same metrics. */
class SftResumeTest {
    @TempDir
    Path tmp;

    @Test
    void killedRunResumesToIdenticalWeightsAndMetrics() throws Exception {
        SftResumeTestSupport.writeTinySetup(tmp);
        Path straight = tmp.resolve("straight");
        assertThat(Main.run(SftResumeTestSupport.sftArgs(tmp, straight).toArray(String[]::new))).isZero();

        Path crashed = tmp.resolve("crashed");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=2",
                "-Ddistill4j.test.pauseAfterCheckpoint=6", "org.distill4j.cli.Main"));
        cmd.addAll(SftResumeTestSupport.sftArgs(tmp, crashed));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        Path state = crashed.resolve("checkpoint").resolve(Trainer.STATE_FILE);
        long deadline = System.currentTimeMillis() + 120_000;
        while (!(Files.exists(state) && Files.readString(state).contains("\"step\" : 6"))) {
            assertThat(child.isAlive()).as("child still running (log: %s)", tmp.resolve("child.log")).isTrue();
            assertThat(System.currentTimeMillis()).isLessThan(deadline);
            Thread.sleep(100);
        }
        child.destroyForcibly(); // SIGKILL on Linux
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).isEqualTo(137);
        assertThat(crashed.resolve("model.safetensors")).doesNotExist(); // the final model was never written

        List<String> resume = SftResumeTestSupport.sftArgs(tmp, crashed);
        resume.add("--resume");
        assertThat(Main.run(resume.toArray(String[]::new))).isZero();

        try (Safetensors.Reader a = Safetensors.open(straight.resolve("model.safetensors"));
             Safetensors.Reader b = Safetensors.open(crashed.resolve("model.safetensors"))) {
            assertThat(b.tensors().keySet()).isEqualTo(a.tensors().keySet());
            for (String name : a.tensors().keySet()) {
                assertThat(b.readFloats(name)).as(name).containsExactly(a.readFloats(name));
            }
        }
        List<Jsonl.Line> ma = Jsonl.read(straight.resolve("metrics.jsonl"));
        List<Jsonl.Line> mb = Jsonl.read(crashed.resolve("metrics.jsonl"));
        assertThat(mb).hasSameSizeAs(ma);
        for (int i = 0; i < ma.size(); i++) {
            for (String key : List.of("step", "lr", "train_loss", "grad_norm", "val_loss")) {
                assertThat(String.valueOf(mb.get(i).value().get(key))).as("row %d %s", i, key)
                        .isEqualTo(String.valueOf(ma.get(i).value().get(key)));
            }
        }
    }

    @Test
    void anExistingRunIsNotOverwrittenWithoutResume() throws Exception {
        SftResumeTestSupport.writeTinySetup(tmp);
        Path out = tmp.resolve("run");
        List<String> args = SftResumeTestSupport.sftArgs(tmp, out);
        args.set(args.indexOf("12"), "2");
        assertThat(Main.run(args.toArray(String[]::new))).isZero();
        assertThat(Main.run(args.toArray(String[]::new))).isEqualTo(2);
    }
}
