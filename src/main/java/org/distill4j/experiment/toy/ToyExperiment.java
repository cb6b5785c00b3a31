package org.distill4j.experiment.toy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Runs SeqKD and GAD from the same initial student for every seed and measures both against the teacher.
 *
 * <p>Determinism: seed s creates {@code new SplittableRandom(s)} and splits one independent stream per method
 * up front, so each method's draws depend only on the seed and not on the other method or on run order.
 */
public final class ToyExperiment {
    private ToyExperiment() {}

    public static ToyResult run(ToyConfig config) {
        return run(config, line -> {});
    }

    /** As {@link #run(ToyConfig)}, reporting one line per seed to {@code progress}. */
    public static ToyResult run(ToyConfig config, Consumer<String> progress) {
        MixtureTeacher teacher = config.teacher();
        GaussianStudent init = config.initialStudent();
        double[] teacherLogProbs = teacher.logProbs();
        double[] modes = teacher.modeMeans();
        List<StudentTrainer> trainers = config.trainers();

        List<List<ToyResult.SeedRun>> runs = new ArrayList<>();
        for (int m = 0; m < trainers.size(); m++) {
            runs.add(new ArrayList<>());
        }
        for (int i = 0; i < config.seeds(); i++) {
            long seed = config.firstSeed() + i;
            SplittableRandom root = new SplittableRandom(seed);
            List<SplittableRandom> streams = new ArrayList<>();
            for (int m = 0; m < trainers.size(); m++) {
                streams.add(root.split());
            }
            StringBuilder line = new StringBuilder("seed " + seed + ":");
            for (int m = 0; m < trainers.size(); m++) {
                StudentTrainer trainer = trainers.get(m);
                GaussianStudent trained = trainer.train(teacher, init, streams.get(m));
                ToyMetrics metrics = ToyMetrics.of(teacherLogProbs, trained.logProbs(), modes);
                runs.get(m).add(new ToyResult.SeedRun(seed, trained, trained.probs(), metrics));
                line.append(String.format(" %s μ=%.2f σ=%.2f", trainer.name(), trained.mu(), trained.sigma()));
            }
            progress.accept(line.toString());
        }

        List<ToyResult.MethodResult> methods = new ArrayList<>();
        for (int m = 0; m < trainers.size(); m++) {
            methods.add(new ToyResult.MethodResult(trainers.get(m).name(), runs.get(m)));
        }
        return new ToyResult(config, teacher.probs(), ToyMetrics.of(teacherLogProbs, teacherLogProbs, modes),
                init.probs(),
                ToyMetrics.of(teacherLogProbs, init.logProbs(), modes), methods);
    }
}
