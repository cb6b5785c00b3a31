package org.distill4j.experiment;

import java.util.ArrayList;
import java.util.List;

/**
 * One distillation run of the lab: a data source and, for offline sources, the shape of the fixed
 * dataset (prompts × generations per prompt).
 */
public record LabVariant(String name, String source, int prompts, int generations) {
    /** offline, online-teacher, online-student, the low-diversity dataset and the budget sweep. */
    public static List<LabVariant> all(LabConfig c) {
        List<LabVariant> v = new ArrayList<>();
        int p = c.distillPrompts();
        int g = c.generations();
        v.add(new LabVariant("offline", "offline", p, g));
        v.add(new LabVariant("online-teacher", "online-teacher", p, 0));
        v.add(new LabVariant("online-student", "online-student", p, 0));
        int fewer = (int) Math.round(p / c.diversityFactor());
        int more = (int) Math.round(g * c.diversityFactor());
        v.add(new LabVariant("low-diversity", "offline", fewer, more));
        for (int b : c.budgets()) {
            if (b != g) {
                v.add(new LabVariant("budget-" + b, "offline", p, b));
            }
        }
        return v;
    }

    /** Generations per prompt the offline datasets of a seed need (they are nested prefixes of one draw). */
    public static int maxGenerations(List<LabVariant> variants) {
        return variants.stream().mapToInt(LabVariant::generations).max().orElse(1);
    }
}
