package org.distill4j.util;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar with rate and ETA on stderr, for every long job. */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    public static Progress start(String task, long total, String unit) {
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setUnit(" " + unit, 1)
                .showSpeed()
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(1000)
                .setConsumer(new ConsoleProgressBarConsumer(System.err, 100))
                .build();
        return new Progress(bar);
    }

    public void stepTo(long n) {
        bar.stepTo(n);
    }

    public void stepBy(long n) {
        bar.stepBy(n);
    }

    public void extra(String message) {
        bar.setExtraMessage(message);
    }

    @Override
    public void close() {
        bar.close();
    }
}
