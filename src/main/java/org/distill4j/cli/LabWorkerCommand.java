package org.distill4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.experiment.LabJob;
import org.distill4j.experiment.LabWorker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill lab-worker}: runs jobs of a lab run by hand, as its worker processes do ({@link LabWorker}). */
@Command(name = "lab-worker", hidden = true, description = "Runs jobs of a teacher-hacking lab or oracle-lens run (as its workers do).")
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
        if (serve) {
            LabWorker.serve(dir);
            return 0;
        }
        if (kind == null || name == null) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--kind and --name, or --serve");
        }
        LabWorker.run(dir, new LabJob(kind, name, seed));
        return 0;
    }
}
