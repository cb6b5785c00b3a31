package org.distill4j.gad;

import java.util.ArrayList;
import java.util.List;

/**
 * The methods compared on the same budget of generator steps (warmup + main steps):
 * <ul>
 *   <li>{@code gad}: discriminator alone for the first {@code dAlone} warmup steps, then generator
 *       cross-entropy on teacher responses alongside the discriminator until the warmup ends, then GRPO
 *       against the discriminator, which keeps training (the game);</li>
 *   <li>{@code seqkd}: cross-entropy on teacher responses for all steps;</li>
 *   <li>{@code frozen-d}: the paper's off-policy-discriminator baseline — SeqKD for the warmup steps,
 *       then the student is frozen while the discriminator trains on its samples for
 *       {@code discriminatorSteps}, then the discriminator is frozen and the student trained by GRPO
 *       against it (a fixed reward model);</li>
 *   <li>the paper's warmup ablations: {@code gad-no-g-warmup} (the warmup trains the discriminator only; GRPO starts
 *       from the initial student) and {@code gad-no-d-warmup} (the warmup trains the generator only; the game starts
 *       with the discriminator's fresh head).</li>
 * </ul>
 */
public enum GadMethod {
    GAD("gad"), SEQKD("seqkd"), FROZEN_D("frozen-d"), GAD_NO_G_WARMUP("gad-no-g-warmup"), GAD_NO_D_WARMUP("gad-no-d-warmup");

    private final String id;

    GadMethod(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static GadMethod parse(String s) {
        for (GadMethod m : values()) {
            if (m.id.equals(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + s + "' (gad, seqkd, frozen-d, gad-no-g-warmup, gad-no-d-warmup)");
    }

    /**
     * @param warmupSteps        GAD's warmup (SeqKD length of the frozen-d baseline)
     * @param dAloneSteps        first warmup steps in which only the discriminator trains
     * @param mainSteps          GRPO steps (SeqKD continues for as many)
     * @param discriminatorSteps frozen-d only: discriminator steps on the frozen student's samples
     */
    public List<Phase> phases(long warmupSteps, long dAloneSteps, long mainSteps, long discriminatorSteps) {
        List<Phase> p = new ArrayList<>();
        switch (this) {
            case GAD -> {
                long alone = Math.min(dAloneSteps, warmupSteps);
                p.add(new Phase("warmup-d", alone, true, Phase.GeneratorUpdate.NONE));
                p.add(new Phase("warmup", warmupSteps - alone, true, Phase.GeneratorUpdate.CROSS_ENTROPY));
                p.add(new Phase("gad", mainSteps, true, Phase.GeneratorUpdate.POLICY_GRADIENT));
            }
            case SEQKD -> p.add(new Phase("seqkd", warmupSteps + mainSteps, false, Phase.GeneratorUpdate.CROSS_ENTROPY));
            case FROZEN_D -> {
                p.add(new Phase("seqkd", warmupSteps, false, Phase.GeneratorUpdate.CROSS_ENTROPY));
                p.add(new Phase("train-d", discriminatorSteps, true, Phase.GeneratorUpdate.NONE));
                p.add(new Phase("grpo-frozen-d", mainSteps, false, Phase.GeneratorUpdate.POLICY_GRADIENT));
            }
            case GAD_NO_G_WARMUP -> {
                p.add(new Phase("warmup-d", warmupSteps, true, Phase.GeneratorUpdate.NONE));
                p.add(new Phase("gad", mainSteps, true, Phase.GeneratorUpdate.POLICY_GRADIENT));
            }
            case GAD_NO_D_WARMUP -> {
                p.add(new Phase("warmup-g", warmupSteps, false, Phase.GeneratorUpdate.CROSS_ENTROPY));
                p.add(new Phase("gad", mainSteps, true, Phase.GeneratorUpdate.POLICY_GRADIENT));
            }
        }
        p.removeIf(x -> x.steps() == 0);
        return p;
    }
}
