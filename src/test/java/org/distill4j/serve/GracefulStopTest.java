package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.distill4j.lm.LanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Stopping finishes the requests in flight; `distill serve` prints its address and stops on SIGTERM. */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // starts child processes: a hung child must not hang the suite
class GracefulStopTest {
    @TempDir
    Path tmp;

    @Test
    void closeFinishesRequestsInFlightAndRefusesNewOnes() throws Exception {
        try (LanguageModel lm = LanguageModel.load(TinyModel.write(tmp.resolve("tiny")))) {
            OpenAiServer server = OpenAiServer.start(lm, ServeConfig.loopback("tiny"), new ChatTemplate.Default());
            URI uri = URI.create(server.baseUri() + "/completions");
            CompletableFuture<Http.Reply> slow = CompletableFuture.supplyAsync(() -> Http.post(uri,
                    "{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": 40, \"n\": 16, \"temperature\": 1}"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (server.stats().generationRequests() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            server.close();
            Http.Reply r = slow.get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().get("choices")).hasSize(16);
        }
    }

    @Test
    void serveCommandPrintsItsAddressAndStopsOnSigterm() throws Exception {
        Path dir = TinyModel.write(tmp.resolve("tiny"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx512m", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "--enable-native-access=ALL-UNNAMED",
                "org.distill4j.cli.Main", "serve", "--model", dir.toString(), "--port", "0", "--served-model-name", "t1"));
        Process child = new ProcessBuilder(command).redirectError(tmp.resolve("serve.err").toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertThat(line).as("stderr: %s", Files.readString(tmp.resolve("serve.err"))).isNotNull();
            Matcher m = Pattern.compile("listening on (http://127\\.0\\.0\\.1:(\\d+)/v1)").matcher(line);
            assertThat(m.find()).as(line).isTrue();
            assertThat(Integer.parseInt(m.group(2))).isPositive();
            Http.Reply models = Http.get(URI.create(m.group(1) + "/models"));
            assertThat(models.status()).isEqualTo(200);
            assertThat(models.json().get("data").get(0).get("id").asText()).isEqualTo("t1");
            child.destroy(); // SIGTERM
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(tmp.resolve("serve.err"))).contains("stopping");
        } finally {
            child.destroyForcibly();
        }
    }
}
