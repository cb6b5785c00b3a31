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
         * Jobs in {@code workers} child JVMs, each with one PyTorch thread: the lab's models are small, so
         * one core per run beats two cores sharing a run (per-operation thread synchronisation costs more
         * than the second core gives). Each child serves jobs from a shared queue, in the given order,
         * until none is left (one JVM and engine start per worker, not per job). A job's log goes to
         * RUN_DIR/logs/, a worker's own output (native warnings) to RUN_DIR/logs/worker-N.log.
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
                java.util.Queue<LabJob> queue = new java.util.concurrent.ConcurrentLinkedQueue<>(jobs);
                int n = Math.min(workers, jobs.size());
                ExecutorService pool = Executors.newFixedThreadPool(n);
                try (Progress bar = Progress.start("lab runs", jobs.size(), "runs")) {
                    List<Future<?>> futures = new ArrayList<>();
                    for (int w = 0; w < n; w++) {
                        int id = w;
                        futures.add(pool.submit(() -> {
                            try (Worker worker = Worker.start(dir, id)) {
                                for (LabJob j = queue.poll(); j != null; j = queue.poll()) {
                                    try {
                                        worker.run(j);
                                    } catch (RuntimeException e) {
                                        queue.clear(); // the run fails: start no more jobs
                                        throw e;
                                    }
                                    synchronized (bar) {
                                        bar.stepBy(1);
                                        bar.extra("done: " + j.label());
                                    }
                                }
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

    /** The job as one line of the worker protocol: KIND NAME SEED. */
    public String line() {
        return kind.name() + " " + name + " " + seed;
    }

    public static LabJob parse(String line) {
        String[] f = line.trim().split(" ");
        if (f.length != 3) {
            throw new IllegalArgumentException("lab job line '" + line + "': expected KIND NAME SEED");
        }
        return new LabJob(Kind.valueOf(f[0]), f[1], Long.parseLong(f[2]));
    }

    public static Path logFile(Path dir, LabJob j) {
        return dir.resolve("logs").resolve(j.label().replace(' ', '-') + ".log");
    }

    /** A child JVM serving jobs ({@code distill lab-worker --serve}). */
    private static final class Worker implements AutoCloseable {
        private final Process process;
        private final java.io.BufferedWriter in;
        private final java.io.BufferedReader out;
        private final Path log;

        private Worker(Process process, Path log) {
            this.process = process;
            this.log = log;
            this.in = process.outputWriter(java.nio.charset.StandardCharsets.UTF_8);
            this.out = process.inputReader(java.nio.charset.StandardCharsets.UTF_8);
        }

        static Worker start(Path dir, int id) throws IOException {
            Path logs = dir.resolve("logs");
            Files.createDirectories(logs);
            Path log = logs.resolve("worker-" + id + ".log");
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
            cmd.add(LabWorker.class.getName());
            cmd.add(dir.toString());
            return new Worker(new ProcessBuilder(cmd).redirectError(log.toFile()).start(), log);
        }

        void run(LabJob j) {
            String reply;
            try {
                in.write(j.line());
                in.newLine();
                in.flush();
                reply = out.readLine();
            } catch (IOException e) {
                reply = null;
            }
            Path jobLog = logFile(log.getParent().getParent(), j);
            if (reply == null) {
                throw new UserError("lab job '" + j.label() + "': its worker process stopped; see " + jobLog + " and " + log);
            }
            if (!reply.equals("ok")) {
                throw new UserError("lab job '" + j.label() + "' failed: " + reply.substring(Math.min(reply.length(), 6)) + "; see " + jobLog);
            }
        }

        @Override
        public void close() {
            try {
                in.close(); // end of input: the worker returns
                if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (IOException e) {
                process.destroyForcibly();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
