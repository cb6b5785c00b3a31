package org.distill4j.cli;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.distill4j.bench.BenchShape;
import org.distill4j.bench.SamplingBench;
import org.distill4j.generate.Sampler;
import org.distill4j.util.Moments;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distill bench sampling}: the sampler's batching (continuous, shared prompt prefills) against the algorithm
 * before it, on workloads where it matters, in alternating rounds.
 */
@Command(name = "sampling", mixinStandardHelpOptions = true,
        description = "Sampling with rows that join and leave and shared prompt prefills, against fixed batches with every "
                + "row prefilled on its own (the algorithm before), same model, prompts and seeds, in alternating rounds; "
                + "one JSON line per run pair and the median speed-up per workload. shared-prompt: 8 prompts × 512 tokens, "
                + "n = 8, 64 new tokens. varied-length: 128 prompts × 16 tokens, a 32-row batch, responses ending at "
                + "end-of-sequence tokens (1/64 of the vocabulary) or 256 tokens.")
final class BenchSamplingCommand implements Callable<Integer> {
    @Option(names = "--shapes", split = ",", defaultValue = "small,medium", description = "Default: ${DEFAULT-VALUE}.")
    List<String> shapes;

    @Option(names = "--workloads", split = ",", defaultValue = "shared-prompt,varied-length", description = "Default: ${DEFAULT-VALUE}.")
    List<String> workloads;

    @Option(names = "--rounds", defaultValue = "3", description = "Run pairs per workload, alternating which runs first; "
            + "the median speed-up is printed. Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Override
    public Integer call() {
        if (rounds < 1) {
            throw new UserError("--rounds: must be >= 1, got " + rounds);
        }
        Map<String, List<Double>> speedups = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            for (String s : shapes) {
                BenchShape shape = BenchShape.byName(s);
                for (String w : workloads) {
                    SamplingBench.Workload workload = SamplingBench.Workload.byName(w);
                    List<Double> list = speedups.computeIfAbsent(w + "/" + s, k -> new ArrayList<>());
                    SamplingBench.with(m, shape, workload, bench -> {
                        bench.run(Sampler.Batching.DEFAULT, 0); // warm-up: code paths compiled, allocator primed
                        for (int r = 0; r < rounds; r++) {
                            boolean baselineFirst = r % 2 == 0;
                            SamplingBench.Run first = bench.run(baselineFirst ? Sampler.Batching.STATIC_UNSHARED : Sampler.Batching.DEFAULT, r + 1);
                            SamplingBench.Run second = bench.run(baselineFirst ? Sampler.Batching.DEFAULT : Sampler.Batching.STATIC_UNSHARED, r + 1);
                            SamplingBench.Run before = baselineFirst ? first : second;
                            SamplingBench.Run after = baselineFirst ? second : first;
                            double speedup = before.seconds() / after.seconds();
                            list.add(speedup);
                            System.out.printf("{\"workload\":\"%s\",\"config\":\"%s\",\"round\":%d,\"tok_s\":%.0f,\"before_tok_s\":%.0f,"
                                            + "\"seconds\":%.2f,\"before_seconds\":%.2f,\"speedup\":%.2f,\"tokens\":%d,"
                                            + "\"length_min\":%d,\"length_median\":%d,\"length_max\":%d}%n",
                                    w, s, r + 1, after.tokensPerSecond(), before.tokensPerSecond(), after.seconds(), before.seconds(),
                                    speedup, after.tokens(), after.minLength(), after.medianLength(), after.maxLength());
                        }
                        return null;
                    });
                }
            }
        }
        speedups.forEach((key, list) -> {
            String[] parts = key.split("/");
            System.out.printf("{\"workload\":\"%s\",\"config\":\"%s\",\"rounds\":%d,\"median_speedup\":%.2f,\"speedups\":%s}%n",
                    parts[0], parts[1], list.size(), Moments.median(list), list.stream().map(x -> String.format("%.2f", x)).toList());
        });
        return 0;
    }
}
