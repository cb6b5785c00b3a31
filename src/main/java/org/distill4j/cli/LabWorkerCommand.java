package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.experiment.LabJob;
import org.distill4j.experiment.LensConfig;
import org.distill4j.experiment.OracleLens;
import org.distill4j.experiment.TeacherHackingLab;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill lab-worker}: one job of a lab run, in a child process started by the lab itself. */
@Command(name = "lab-worker", hidden = true, description = "Runs one job of a teacher-hacking lab or oracle-lens run (used by their workers).")
public final class LabWorkerCommand implements Callable<Integer> {
    @Option(names = "--dir", required = true)
    Path dir;

    @Option(names = "--kind", required = true)
    LabJob.Kind kind;

    @Option(names = "--name", required = true)
    String name;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Override
    public Integer call() {
        LabJob job = new LabJob(kind, name, seed);
        if (java.nio.file.Files.exists(dir.resolve(LensConfig.FILE))) {
            new OracleLens(dir, LensConfig.read(dir.resolve(LensConfig.FILE)), LabJob.Runner.inProcess()).runJob(job);
            return 0;
        }
        TeacherHackingLab.open(dir, LabJob.Runner.inProcess()).runJob(job);
        return 0;
    }
}
