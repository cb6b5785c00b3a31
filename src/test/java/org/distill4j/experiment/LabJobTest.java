package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 5, unit = TimeUnit.MINUTES) // starts child processes: a hung child must not hang the suite
class LabJobTest {
    @Test
    void aJobTravelsToItsWorkerAsOneLine() {
        for (LabJob j : new LabJob[] {new LabJob(LabJob.Kind.SFT, "student-init", 0), new LabJob(LabJob.Kind.DISTILL, "online-teacher", 3)}) {
            assertThat(j.line()).doesNotContain("\n");
            assertThat(LabJob.parse(j.line())).isEqualTo(j);
        }
        assertThat(LabJob.logFile(Path.of("run"), new LabJob(LabJob.Kind.DISTILL, "budget-4", 2)))
                .isEqualTo(Path.of("run", "logs", "seed-2-budget-4.log"));
        assertThatThrownBy(() -> LabJob.parse("DISTILL offline")).hasMessageContaining("KIND NAME SEED");
    }
}
