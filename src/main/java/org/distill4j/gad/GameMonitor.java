package org.distill4j.gad;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live game monitor of a GAD-family run (docs/gad.md, "The game monitor"): reads the metrics rows as they are
 * written and warns — or stops the run, as {@code kd --on-hacking stop} does — when the game has collapsed, from
 * the training signal alone (no oracle, no evaluation set):
 * <ul>
 *   <li>the discriminator's accuracy stays near 0 (the student's samples score above the teacher's: the reward
 *       is being hacked, the frozen-discriminator signature) or near 1 (the discriminator wins every pair);</li>
 *   <li>the rollouts' length or repetition drifts away from its level at the end of the warmup.</li>
 * </ul>
 * Only rows of the policy-gradient phases (rows with a {@code pg_loss}) are judged, each signal as a mean over the last
 * {@code window} rows ("sustained": single batches range widely in a healthy game). The reference level is the mean of
 * the last {@code window} rollout rows before the first policy-gradient row (the warmup's end: GAD's warmup, frozen-d's
 * discriminator phase; without a warmup, the first {@code window} policy-gradient rows). The phases are read from
 * the rows themselves, so the same monitor judges a run live and, replayed, from its metrics file (report.GameHealth).
 *
 * <p>At the first policy-gradient row it also reports the discriminator's health: its accuracy over the warmup's last
 * rows, with a warning below {@link Thresholds#weakDiscriminator} (a note, never a reason to stop).
 */
public final class GameMonitor implements Predicate<JsonNode> {
    private static final Logger LOG = LoggerFactory.getLogger(GameMonitor.class);

    /**
     * When the monitor fires; the defaults are in docs/gad.md with the runs that set them.
     *
     * @param window         rows a signal is averaged over (sustained), and rows of the reference level
     * @param dAccLow        d_acc at or below this: the discriminator is fooled
     * @param dAccHigh       d_acc at or above this: the discriminator wins every pair
     * @param lengthRatio    rollout length above ratio × or below 1/ratio × its warmup level
     * @param repetitionRise rollout repetition (share of repeated bigrams) above its warmup level + this
     * @param weakDiscriminator d_acc at the end of the warmup below this: a weak discriminator (warned, not stopped)
     */
    public record Thresholds(int window, double dAccLow, double dAccHigh, double lengthRatio, double repetitionRise,
                             double weakDiscriminator) {
        public Thresholds {
            if (window < 1 || !(dAccLow < dAccHigh) || !(lengthRatio > 1) || !(repetitionRise > 0)) {
                throw new IllegalArgumentException("game monitor: window >= 1, dAccLow < dAccHigh, lengthRatio > 1, repetitionRise > 0");
            }
        }

        public static Thresholds defaults() {
            return new Thresholds(10, 0.1, 0.98, 1.5, 0.1, 0.6);
        }
    }

    /** One fired signal: at which step, which metric, and what it means. */
    public record Alarm(long step, String signal, String reason) {}

    private final Thresholds t;
    private final boolean stop;
    private final Deque<double[]> warmupTail = new ArrayDeque<>();
    private final Deque<double[]> game = new ArrayDeque<>();
    private final List<Alarm> alarms = new ArrayList<>();
    private double[] reference;
    private double warmupDAcc = Double.NaN;
    private boolean quiet;

    /**
     * @param stop whether a fired signal stops the run (the row listener returns false)
     */
    public GameMonitor(Thresholds t, boolean stop) {
        this.t = t;
        this.stop = stop;
    }

    /** The discriminator's accuracy over the warmup's last rows, once the first policy-gradient row has come (else NaN). */
    public double warmupDAcc() {
        return warmupDAcc;
    }

    /** Feeds rows already written (a resumed run's) without logging: the state they leave, alarms included. */
    public GameMonitor replay(Iterable<? extends JsonNode> rows) {
        quiet = true;
        try {
            rows.forEach(this::test);
        } finally {
            quiet = false;
        }
        return this;
    }

    /** The signals that fired so far, each once, in order. */
    public List<Alarm> alarms() {
        return List.copyOf(alarms);
    }

    /** Takes one metrics row; false when a signal has fired and the monitor stops runs. */
    @Override
    public boolean test(JsonNode row) {
        if (!row.has("sample_len") || row.path("step").asLong() == 0) {
            return true;
        }
        double[] x = {row.path("d_acc").asDouble(Double.NaN), row.get("sample_len").asDouble(),
                row.path("sample_repetition").asDouble(Double.NaN)};
        if (!row.has("pg_loss")) {
            if (game.isEmpty()) {
                push(warmupTail, x);
            }
            return true;
        }
        if (game.isEmpty() && !warmupTail.isEmpty()) {
            reference = mean(warmupTail);
            warmupDAcc = reference[0];
            if (warmupDAcc < t.weakDiscriminator() && !quiet) {
                LOG.warn(String.format("game monitor: a weak discriminator — d_acc %.2f over the warmup's last %d rows (below %.2f): its "
                        + "rewards rank a group's samples little better than chance (docs/gad.md, discriminator health)",
                        warmupDAcc, warmupTail.size(), t.weakDiscriminator()));
            }
        }
        push(game, x);
        if (reference == null && game.size() == t.window()) {
            reference = mean(game);
        }
        if (game.size() < t.window() || reference == null) {
            return true;
        }
        long step = row.path("step").asLong();
        double[] now = mean(game);
        if (now[0] <= t.dAccLow()) {
            fire(step, "d_acc", String.format("the discriminator is fooled: d_acc %.2f over the last %d rows (<= %.2f); the student's "
                    + "samples score above the teacher's, so its reward is being hacked", now[0], t.window(), t.dAccLow()));
        } else if (now[0] >= t.dAccHigh()) {
            fire(step, "d_acc", String.format("the discriminator wins every pair: d_acc %.2f over the last %d rows (>= %.2f); "
                    + "the game is lost to the discriminator", now[0], t.window(), t.dAccHigh()));
        }
        double ratio = now[1] / reference[1];
        if (ratio > t.lengthRatio() || ratio < 1 / t.lengthRatio()) {
            fire(step, "sample_len", String.format("rollout length drifted: %.1f tokens over the last %d rows vs %.1f at the end of "
                    + "the warmup (x%.2f, limit x%.2f)", now[1], t.window(), reference[1], ratio, t.lengthRatio()));
        }
        if (now[2] - reference[2] > t.repetitionRise()) {
            fire(step, "sample_repetition", String.format("rollout repetition rose: %.3f of bigrams over the last %d rows vs %.3f at "
                    + "the end of the warmup (limit +%.2f)", now[2], t.window(), reference[2], t.repetitionRise()));
        }
        return !(stop && !alarms.isEmpty());
    }

    private void fire(long step, String signal, String reason) {
        if (alarms.stream().anyMatch(a -> a.signal().equals(signal))) {
            return;
        }
        alarms.add(new Alarm(step, signal, reason));
        if (!quiet) {
            LOG.warn("game monitor, step " + step + ": " + reason + (stop ? "; stopping the run (--on-hacking stop)" : ""));
        }
    }

    private void push(Deque<double[]> q, double[] x) {
        q.addLast(x);
        while (q.size() > t.window()) {
            q.removeFirst();
        }
    }

    /** Column means; NaN (a metric absent from some rows) propagates and fires nothing. */
    private static double[] mean(Deque<double[]> q) {
        double[] m = new double[3];
        for (double[] x : q) {
            for (int i = 0; i < 3; i++) {
                m[i] += x[i] / q.size();
            }
        }
        return m;
    }
}
