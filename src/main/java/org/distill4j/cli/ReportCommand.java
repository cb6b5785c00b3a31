package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.report.LabReport;
import org.distill4j.report.LensReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code distill report RUN_DIR}: rebuilds report.html, plots and summary.json from the metrics files. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Rebuilds report.html, plots/*.png and summary.json of a lab run, an oracle-lens run or a gad/seqkd run "
                + "from its metrics files alone.")
public final class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The run directory (e.g. runs/demo, runs/oracle-lens).")
    Path runDir;

    @Override
    public Integer call() {
        Path html = LensReport.applies(runDir) ? new LensReport(runDir).write() : new LabReport(runDir).write();
        System.out.println("report: " + html.toAbsolutePath());
        return 0;
    }
}
