package org.distill4j.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.distill4j.util.Progress;
import org.distill4j.util.UserError;

/**
 * One independent unit of lab work: the SFT of the teacher or of the student's initial checkpoint, or
 * one distillation run (a variant at a seed).
 */
public record LabJob(Kind kind, String name, long seed) {
    public enum Kind { SFT, DISTILL }

    public String label() {
        return kind == Kind.SFT ? "sft " + name : "seed " + seed + " " + name;
    }

    /** Runs a batch of jobs; every job's output is complete when {@code run} returns. */
    public interface Runner {
        void run(Path runDir, List<LabJob> jobs, Consumer<LabJob> inProcess);

        /** Jobs one after another in this process. */
        static Runner inProcess() {
            return (dir, jobs, body) -> {
                for (LabJob j : jobs) {
                    body.accept(j);
                }
            };
        }

        /**
         * Jobs in {@code workers} child JVMs at a time, each with one PyTorch thread: the lab's models are
         * small, so one core per run beats two cores sharing a run (per-operation thread synchronisation
         * costs more than the second core gives). A child's log goes to RUN_DIR/logs/.
         */
        static Runner workers(int workers) {
            return (dir, jobs, body) -> {
                if (jobs.isEmpty()) {
                    return;
                }
                if (workers <= 1) {
                    inProcess().run(dir, jobs, body);
                    return;
                }
                ExecutorService pool = Executors.newFixedThreadPool(workers);
                try (Progress bar = Progress.start("lab runs", jobs.size(), "runs")) {
                    List<Future<?>> futures = new ArrayList<>();
                    for (LabJob j : jobs) {
                        futures.add(pool.submit(() -> {
                            runChild(dir, j);
                            synchronized (bar) {
                                bar.stepBy(1);
                                bar.extra("done: " + j.label());
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : futures) {
                        try {
                            f.get();
                        } catch (java.util.concurrent.ExecutionException e) {
                            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("interrupted", e);
                        }
                    }
                } finally {
                    pool.shutdownNow();
                }
            };
        }
    }

    static void runChild(Path dir, LabJob j) throws IOException, InterruptedException {
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        Path log = logs.resolve(j.label().replace(' ', '-') + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx3g");
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Dai.djl.pytorch.num_threads=1");
        cmd.add("-Dai.djl.pytorch.num_interop_threads=1");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=off");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.distill4j.cli.Main");
        cmd.addAll(List.of("lab-worker", "--dir", dir.toString(), "--kind", j.kind().name(), "--name", j.name(),
                "--seed", String.valueOf(j.seed())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int code = p.waitFor();
        if (code != 0) {
            throw new UserError("lab job '" + j.label() + "' failed with exit code " + code + "; see " + log);
        }
    }
}
