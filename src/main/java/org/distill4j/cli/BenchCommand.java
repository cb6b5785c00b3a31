package org.distill4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.distill4j.bench.BenchShape;
import org.distill4j.bench.ComputeCeiling;
import org.distill4j.bench.GemmFloor;
import org.distill4j.bench.GenerateBench;
import org.distill4j.bench.KdBench;
import org.distill4j.bench.MatmulPeak;
import org.distill4j.bench.PytorchPeer;
import org.distill4j.bench.TrainBench;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill bench}: speed on the workloads of shared/bench/pytorch_peer.py, with the peer's figures when asked. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks on the shapes of shared/bench/pytorch_peer.py.",
        subcommands = {BenchCommand.Generate.class, BenchCommand.Train.class, BenchCommand.Kd.class, BenchTopKCommand.class,
            BenchRealCommand.class, BenchServeCommand.class, BenchLoraCommand.class, BenchSamplingCommand.class})
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** Options shared by every bench. */
    static class PeerOptions {
        @Option(names = "--peer-python", description = "A python with torch + transformers: runs pytorch_peer.py in the same run and prints ratios.")
        Path peerPython;

        @Option(names = "--peer-script", defaultValue = "../shared/bench/pytorch_peer.py", description = "Default: ${DEFAULT-VALUE}.")
        Path peerScript;

        @Option(names = "--shapes", split = ",", defaultValue = "small,medium", description = "Default: ${DEFAULT-VALUE}.")
        List<String> shapes;

        @Option(names = "--reps", defaultValue = "2", description = "Timed repetitions (best is reported). Default: ${DEFAULT-VALUE}.")
        int reps;

        @Option(names = "--peer-same-malloc", description = "Run the peer with the launcher's malloc settings too "
                + "(by default it runs with yours, as `python pytorch_peer.py` would).")
        boolean peerSameMalloc;

        @Option(names = "--rounds", defaultValue = "1", description = "Alternate the peer and distill4j this many times and "
                + "also print the median of the rounds' ratios (this VM's speed drifts by 20 %% between minutes). Default: ${DEFAULT-VALUE}.")
        int rounds;

        Map<String, Double> peer(String workload) {
            return peerPython == null ? Map.of() : PytorchPeer.run(peerPython, peerScript, peerSameMalloc, "peak", workload);
        }

        /** One round of a bench: its ratio to the peer per shape (NaN without a peer). */
        interface Round {
            Map<String, Double> run(Map<String, Double> peer, NDManager m, MatmulPeak.Rates rates);
        }

        /**
         * Runs {@code round} {@link #rounds} times, each after the peer's run and with the matmul rates measured
         * afresh; with a peer and more than one round, prints each shape's median ratio.
         */
        int inRounds(String workload, Round round) {
            if (rounds < 1) {
                throw new UserError("--rounds: must be >= 1, got " + rounds);
            }
            Map<String, List<Double>> ratios = new java.util.LinkedHashMap<>();
            for (int r = 0; r < rounds; r++) {
                Map<String, Double> peer = peer(workload);
                Map<String, Double> result;
                try (NDManager m = NDManager.newBaseManager()) {
                    result = round.run(peer, m, MatmulPeak.measure(m));
                }
                result.forEach((shape, ratio) -> ratios.computeIfAbsent(shape, k -> new ArrayList<>()).add(ratio));
            }
            if (rounds > 1 && peerPython != null) {
                ratios.forEach((shape, list) -> {
                    System.out.printf("{\"workload\":\"%s\",\"config\":\"%s\",\"rounds\":%d,\"median_ratio\":%.2f,\"ratios\":%s}%n",
                            workload, shape, list.size(), org.distill4j.util.Moments.median(list), list.stream().map(x -> String.format("%.2f", x)).toList());
                });
            }
            return 0;
        }
    }

    /**
     * One JSON line: tok/s, the 512² matmul rate, the compute ceiling (tok/s at the best matmul rate, see
     * {@link ComputeCeiling}) and, with a peer, its figure, our ratio to it and the largest ratio the ceiling allows.
     *
     * @return the ratio to the peer, NaN without one
     */
    static double report(String workload, String shape, double tokS, double peak, double flopsPerToken, double bestPeak,
                         Map<String, Double> peer, String extra) {
        Double theirs = peer.get(workload + "/" + shape);
        double ceiling = ComputeCeiling.tokensPerSecond(flopsPerToken, bestPeak);
        String line = String.format("{\"workload\":\"%s\",\"config\":\"%s\",\"tok_s\":%.0f%s,\"matmul_gflop_s\":%.1f,"
                        + "\"best_matmul_gflop_s\":%.1f,\"ceiling_tok_s\":%.0f%s}",
                workload, shape, tokS, extra, peak, bestPeak, ceiling,
                theirs == null ? "" : String.format(",\"pytorch_tok_s\":%.0f,\"ratio\":%.2f,\"ceiling_ratio\":%.2f",
                        theirs, tokS / theirs, ceiling / theirs));
        System.out.println(line);
        return theirs == null ? Double.NaN : tokS / theirs;
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "64 prompts × 16 random tokens, 64 new tokens each, temperature 1, KV cache; tok/s = 64·64/s. The GEMM "
                    + "floors and the run are timed by turns, at least 4 times each; each figure is the best.")
    static final class Generate extends PeerOptions implements Callable<Integer> {
        @Override
        public Integer call() {
            return inRounds("generate", (peer, m, rates) -> {
                Map<String, Double> ratios = new java.util.LinkedHashMap<>();
                if (peer.containsKey("peak/")) {
                    System.out.printf("{\"workload\":\"peak\",\"djl_gflop_s\":%.1f,\"pytorch_gflop_s\":%.1f}%n", rates.square(), peer.get("peak/"));
                }
                for (String s : shapes) {
                    BenchShape shape = BenchShape.byName(s);
                    double flops = ComputeCeiling.generateFlopsPerToken(shape, GenerateBench.PROMPT_LEN, GenerateBench.NEW_TOKENS);
                    double tokens = GenerateBench.PROMPTS * GenerateBench.NEW_TOKENS;
                    List<GemmFloor.Pass> passes = GemmFloor.generatePasses(GenerateBench.PROMPTS, GenerateBench.PROMPT_LEN,
                            GenerateBench.NEW_TOKENS);
                    List<GemmFloor.Gemm> products = GemmFloor.products(shape, passes);
                    double floorSeconds = Double.MAX_VALUE;
                    double passSeconds = Double.MAX_VALUE;
                    double runSeconds = Double.MAX_VALUE;
                    try (GenerateBench.Run run = new GenerateBench.Run(m, shape)) {
                        // floors and run timed by turns, best of each: the VM's speed drifts within a minute, and a
                        // fraction of a floor timed at another moment moved by ±20 %
                        for (int r = 0; r < Math.max(reps, 4); r++) {
                            floorSeconds = Math.min(floorSeconds, GemmFloor.seconds(m, products));
                            passSeconds = Math.min(passSeconds, GemmFloor.secondsInPassOrder(m, shape, passes));
                            runSeconds = Math.min(runSeconds, run.seconds(r + 1));
                        }
                    }
                    double floor = tokens / floorSeconds;
                    double passFloor = tokens / passSeconds;
                    double tokS = tokens / runSeconds;
                    Double theirs = peer.get("generate/" + s);
                    ratios.put(s, report("generate", s, tokS, rates.square(), flops, rates.best(), peer,
                            String.format(",\"gemm_floor_tok_s\":%.0f,\"gemm_floor_fraction\":%.2f,\"pass_order_floor_tok_s\":%.0f,"
                                    + "\"pass_order_floor_fraction\":%.2f%s", floor, tokS / floor, passFloor, tokS / passFloor,
                                    theirs == null ? "" : String.format(",\"gemm_floor_ratio\":%.2f", floor / theirs))));
                }
                return ratios;
            });
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Random tokens [batch, 256], cross-entropy on every position, backward + AdamW; tok/s = batch·256/s, "
                    + "GFLOP/s = 3 × forward FLOPs, and its fraction of the matmul peak measured in the same run.")
    static final class Train extends PeerOptions implements Callable<Integer> {
        @Option(names = "--memory-steps", defaultValue = "0", description = "Instead of timing, run N steps of the first shape and "
                + "print RSS and live NDArrays every N/10 steps (a leak shows as growth).")
        int memorySteps;

        @Override
        public Integer call() {
            if (memorySteps > 0) {
                try (NDManager m = NDManager.newBaseManager()) {
                    TrainBench.memory(m, BenchShape.byName(shapes.get(0)), memorySteps, Math.max(1, memorySteps / 10),
                            r -> System.out.printf("{\"step\":%d,\"rss_mb\":%d,\"model_arrays\":%d,\"all_arrays\":%d}%n", r[0], r[1], r[2], r[3]));
                }
                return 0;
            }
            return inRounds("train", (peer, m, rates) -> {
                Map<String, Double> ratios = new java.util.LinkedHashMap<>();
                for (String s : shapes) {
                    BenchShape shape = BenchShape.byName(s);
                    TrainBench.Result r = TrainBench.run(m, shape, 2, Math.max(reps, 5));
                    ratios.put(s, report("train", s, r.tokensPerSecond(), rates.square(), ComputeCeiling.trainFlopsPerToken(shape),
                            rates.best(), peer, String.format(",\"gflop_s\":%.1f,\"peak_fraction\":%.2f", r.gflops(), r.gflops() / rates.square())));
                }
                return ratios;
            });
        }
    }

    @Command(name = "kd", mixinStandardHelpOptions = true,
            description = "Teacher = medium (no gradient), student = small with vocabulary 8192, full-vocabulary forward KL on "
                    + "every position, backward + AdamW; batch 8, sequence 256; tok/s = 8·256/s.")
    static final class Kd extends PeerOptions implements Callable<Integer> {
        @Override
        public Integer call() {
            return inRounds("kd", (peer, m, rates) -> Map.of("medium->small", report("kd", "medium->small",
                    KdBench.tokensPerSecond(m, 2, Math.max(reps, 5)), rates.square(), ComputeCeiling.kdFlopsPerToken(), rates.best(), peer, "")));
        }
    }
}
