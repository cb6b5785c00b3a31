package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.train.SftResumeTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad SFT input: one clear error naming file and line, exit code 2, no output written. */
class SftCommandTest {
    @TempDir
    Path tmp;

    private List<String> args(Path data, Path out) throws Exception {
        SftResumeTestSupport.writeTinySetup(tmp);
        List<String> a = new ArrayList<>(SftResumeTestSupport.sftArgs(tmp, out));
        a.set(a.indexOf("--data") + 1, data.toString());
        a.set(a.indexOf("12"), "2");
        return a;
    }

    private void assertRejected(String jsonl, String... fragments) throws Exception {
        Path data = tmp.resolve("bad.jsonl");
        Files.writeString(data, jsonl);
        Path out = tmp.resolve("out");
        CliErrorsTest.Result r = CliErrorsTest.run(args(data, out).toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        for (String f : fragments) {
            assertThat(r.err()).contains(f);
        }
        assertThat(r.err()).doesNotContain("\tat ");
        assertThat(out.resolve("model.safetensors")).doesNotExist();
        assertThat(out.resolve("checkpoint")).doesNotExist();
    }

    @Test
    void malformedJsonlNamesFileAndLine() throws Exception {
        assertRejected("{\"prompt\": \"describe : red fox .\", \"response\": \"the red fox runs .\"}\n{\"prompt\": oops}\n", "bad.jsonl:2", "malformed");
    }

    @Test
    void emptyResponse() throws Exception {
        assertRejected("{\"prompt\": \"describe : red fox .\", \"response\": \"\"}\n", "bad.jsonl:1", "empty response");
    }

    @Test
    void tokenIdOutOfRange() throws Exception {
        assertRejected("{\"prompt_ids\": [1, 5], \"response_ids\": [7, 999, 2]}\n", "bad.jsonl:1", "response_ids[1]", "999");
    }

    @Test
    void unwritableOutputDirectory() throws Exception {
        Path blocker = tmp.resolve("file");
        Files.writeString(blocker, "x");
        Path data = tmp.resolve("ok.jsonl");
        Files.writeString(data, "{\"prompt\": \"describe : red fox .\", \"response\": \"the red fox runs .\"}\n");
        CliErrorsTest.Result r = CliErrorsTest.run(args(data, blocker.resolve("out")).toArray(String[]::new));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("cannot create the output directory");
    }

    @Test
    void yamlConfigSuppliesFlagsAndRejectsUnknownKeys() throws Exception {
        SftResumeTestSupport.writeTinySetup(tmp);
        Path out = tmp.resolve("y");
        List<String> a = new ArrayList<>(SftResumeTestSupport.sftArgs(tmp, out));
        int i = a.indexOf("--max-steps");
        a.remove(i);
        a.remove(i); // max-steps comes from the YAML file
        Path yaml = tmp.resolve("c.yaml");
        Files.writeString(yaml, "max-steps: 3\nbatch_size: 4\n");
        a.add("--config");
        a.add(yaml.toString());
        CliErrorsTest.Result r = CliErrorsTest.run(a.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        String resolved = Files.readString(out.resolve("config.yaml"));
        assertThat(resolved).contains("max-steps: 3").contains("batch-size: 8"); // the flag wins over the file
        Files.writeString(yaml, "max-stepz: 3\n");
        CliErrorsTest.Result bad = CliErrorsTest.run(a.toArray(String[]::new));
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("c.yaml").contains("max-stepz");
    }
}
