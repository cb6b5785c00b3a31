package org.distill4j.experiment;

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A lab's child process (started by {@link LabJob}'s workers): it runs the jobs it reads from stdin, one per line
 * ({@link LabJob#line()}), and answers each with one line on stdout, "ok" or "error MESSAGE"; a job's own output
 * goes to its log file. One JVM serves many jobs, so the start-up of the JVM and the engine is paid once per
 * worker, not once per job. Its own main class, so that the lab starts it without knowing the CLI above it.
 */
public final class LabWorker {
    private LabWorker() {}

    /** {@code LabWorker RUN_DIR}: serves the jobs of the lab or oracle-lens run in RUN_DIR until end of input. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: LabWorker RUN_DIR (jobs on stdin, one per line)");
            System.exit(2);
        }
        serve(Path.of(args[0]));
    }

    public static void serve(Path dir) throws IOException {
        PrintStream protocol = System.out;
        PrintStream err = System.err;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isBlank()) {
                continue;
            }
            LabJob job = LabJob.parse(line);
            Path log = LabJob.logFile(dir, job);
            Files.createDirectories(log.getParent());
            String reply = "ok";
            try (PrintStream jobLog = new PrintStream(new FileOutputStream(log.toFile()), true, StandardCharsets.UTF_8)) {
                System.setOut(jobLog);
                System.setErr(jobLog);
                try {
                    run(dir, job);
                } catch (RuntimeException | Error e) {
                    e.printStackTrace(jobLog);
                    reply = "error " + String.valueOf(e.getMessage()).replace('\n', ' ');
                } finally {
                    System.setOut(protocol);
                    System.setErr(err);
                }
            }
            protocol.println(reply);
            protocol.flush();
        }
    }

    /** Runs one job of the lab or oracle-lens run in {@code dir}, in this process. */
    public static void run(Path dir, LabJob job) {
        if (Files.exists(dir.resolve(LensConfig.FILE))) {
            new OracleLens(dir, LensConfig.read(dir.resolve(LensConfig.FILE)), LabJob.Runner.inProcess()).runJob(job);
            return;
        }
        TeacherHackingLab.open(dir, LabJob.Runner.inProcess()).runJob(job);
    }
}
