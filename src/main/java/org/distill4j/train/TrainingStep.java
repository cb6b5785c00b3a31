package org.distill4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What one optimizer step of a run does, and what of it a checkpoint must hold: the part of a training method
 * that {@link Trainer}, the one loop, does not own. The loop owns the step count, the metrics rows and their
 * window, evaluation and checkpoint cadence, the non-finite guard, the checkpoint directory and its state file,
 * the settings check and resume. {@link ObjectiveStep} is the single-model step of sft and kd; GAD, SeqKD and
 * frozen-D are {@code gad.GadStep}.
 *
 * <p>A step must be a function of the run's seed, the step number and the state it saves: a resumed run then
 * continues exactly as an uninterrupted one.
 */
public interface TrainingStep {
    /**
     * Called on the training thread before the run computes anything (before a resume's restore and the first
     * evaluation): whatever decides how the steps are computed (e.g. this thread's engine threads) is set here.
     */
    void start();

    /** Optimizer step {@code step} (0-based): gradients and updates of every model this method trains. */
    Outcome step(long step);

    /**
     * The leading columns of the metrics row after {@code step} completed steps (e.g. step, epoch, lr), then the
     * window's values as this method reports them.
     */
    ObjectNode row(long step, MetricsWindow window);

    /** Validation metrics of the current models (no gradient); empty when there is nothing (new) to evaluate. */
    Map<String, Double> evaluate();

    /** What the progress bar shows beside the step count, from a metrics row (e.g. the loss). */
    default String progress(ObjectNode row) {
        return "";
    }

    /** Whether the row before the first step is written even without validation metrics. */
    default boolean rowAtStart() {
        return false;
    }

    /**
     * Writes the models, their optimizer moments and any state of its own into a checkpoint being written
     * ({@code dir}: the models' subdirectories, {@code state}: trainer_state.json's object).
     */
    void save(Path dir, ObjectNode state) throws IOException;

    /** Restores what {@link #save} wrote. */
    void restore(Path dir, JsonNode state);

    /** Writes the trained models into the run directory, as checkpoints other tools load. */
    void saveFinal(Path outDir) throws IOException;

    /** Called once the loop ends, however it ends (e.g. to leave the models in inference mode). */
    void finish();

    /**
     * @param finite whether the step's losses and gradients were finite (otherwise its updates were skipped)
     * @param values what the step reports, averaged over the steps of a metrics row
     */
    record Outcome(boolean finite, Map<String, Double> values) {}
}
