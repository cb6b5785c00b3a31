package org.distill4j.cli;

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.experiment.LabJob;
import org.distill4j.experiment.LensConfig;
import org.distill4j.experiment.OracleLens;
import org.distill4j.experiment.TeacherHackingLab;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distill lab-worker}: jobs of a lab run in a child process started by the lab itself. With
 * {@code --serve} it runs the jobs it reads from stdin, one per line ({@link LabJob#line()}), and answers
 * each with one line on stdout, "ok" or "error MESSAGE"; a job's own output goes to its log file. One JVM
 * serves many jobs, so the start-up of the JVM and the engine is paid once per worker, not once per job.
 */
@Command(name = "lab-worker", hidden = true, description = "Runs jobs of a teacher-hacking lab or oracle-lens run (used by their workers).")
public final class LabWorkerCommand implements Callable<Integer> {
    @Option(names = "--dir", required = true)
    Path dir;

    @Option(names = "--serve", description = "Read jobs from stdin, one per line, until end of input.")
    boolean serve;

    @Option(names = "--kind")
    LabJob.Kind kind;

    @Option(names = "--name")
    String name;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Override
    public Integer call() throws IOException {
        if (!serve) {
            if (kind == null || name == null) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--kind and --name, or --serve");
            }
            run(new LabJob(kind, name, seed));
            return 0;
        }
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
                    run(job);
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
        return 0;
    }

    private void run(LabJob job) {
        if (Files.exists(dir.resolve(LensConfig.FILE))) {
            new OracleLens(dir, LensConfig.read(dir.resolve(LensConfig.FILE)), LabJob.Runner.inProcess()).runJob(job);
            return;
        }
        TeacherHackingLab.open(dir, LabJob.Runner.inProcess()).runJob(job);
    }
}
