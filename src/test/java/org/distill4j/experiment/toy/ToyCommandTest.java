package org.distill4j.experiment.toy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.distill4j.cli.ToyCommand;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ToyCommandTest {

    @Test
    void writesPlotMetricsAndTable(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new ToyCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(new StringWriter()));
        int code = cli.execute("--seeds", "2", "--max-steps", "300", "--out", dir.toString());
        assertThat(code).isEqualTo(0);

        assertThat(out.toString()).contains("forward KL", "reverse KL", "entropy", "SeqKD", "GAD", "± ");
        BufferedImage png = ImageIO.read(dir.resolve("toy.png").toFile());
        assertThat(png).isNotNull();
        assertThat(png.getWidth()).isEqualTo(1000);

        JsonNode metrics = Json.read(dir.resolve("metrics.json"));
        assertThat(metrics.at("/config/seeds").size()).isEqualTo(2);
        for (String method : new String[] {"SeqKD", "GAD"}) {
            JsonNode m = metrics.at("/methods/" + method);
            for (String name : ToyMetrics.NAMES) {
                assertThat(m.at("/summary/" + name + "/mean").isNumber()).as(method + " " + name).isTrue();
                assertThat(m.at("/summary/" + name + "/std").isNumber()).as(method + " " + name).isTrue();
            }
            assertThat(m.get("per_seed").size()).isEqualTo(2);
            assertThat(m.at("/per_seed/0/probs").size()).isEqualTo(10);
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("toy.png", "metrics.json");
        }
    }

    @Test
    void metricsJsonIsDeterministic(@TempDir Path dir) throws Exception {
        for (String sub : new String[] {"a", "b"}) {
            CommandLine cli = new CommandLine(new ToyCommand());
            cli.setOut(new PrintWriter(new StringWriter()));
            cli.setErr(new PrintWriter(new StringWriter()));
            assertThat(cli.execute("--seeds", "2", "--max-steps", "200", "--out", dir.resolve(sub).toString())).isZero();
        }
        assertThat(Files.readString(dir.resolve("a/metrics.json"))).isEqualTo(Files.readString(dir.resolve("b/metrics.json")));
    }

    @Test
    void badInputIsAUserError() {
        assertThatThrownBy(() -> call("--seeds", "0")).isInstanceOf(UserError.class).hasMessageContaining("--seeds");
        assertThatThrownBy(() -> call("--samples", "1")).isInstanceOf(UserError.class).hasMessageContaining("--samples");
        assertThatThrownBy(() -> call("--teacher", "0.5:1")).isInstanceOf(UserError.class).hasMessageContaining("weight:mean:sigma");
        assertThatThrownBy(() -> call("--teacher", "0.5:1:x")).isInstanceOf(UserError.class).hasMessageContaining("not a number");
        assertThatThrownBy(() -> call("--teacher", "0.5:1:-1")).isInstanceOf(UserError.class).hasMessageContaining("sigma");
    }

    private static void call(String... args) {
        ToyCommand command = new ToyCommand();
        new CommandLine(command).parseArgs(args);
        command.call();
    }
}
