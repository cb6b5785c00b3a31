package org.distill4j.experiment;

import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.SourceKind;
import org.distill4j.util.UserError;

/**
 * One distillation run of the lab: a data source and, for offline sources, the shape of the fixed
 * dataset (prompts × generations per prompt).
 */
public record LabVariant(String name, SourceKind source, int prompts, int generations) {
    /** offline, online-teacher, online-student, the low-diversity dataset and the budget sweep. */
    public static List<LabVariant> all(LabConfig c) {
        List<LabVariant> v = new ArrayList<>();
        int p = c.distillPrompts();
        int g = c.generations();
        v.add(new LabVariant("offline", SourceKind.OFFLINE, p, g));
        v.add(new LabVariant("online-teacher", SourceKind.ONLINE_TEACHER, p, 0));
        v.add(new LabVariant("online-student", SourceKind.ONLINE_STUDENT, p, 0));
        int fewer = (int) Math.round(p / c.diversityFactor());
        int more = (int) Math.round(g * c.diversityFactor());
        v.add(new LabVariant("low-diversity", SourceKind.OFFLINE, fewer, more));
        for (int b : c.budgets()) {
            if (b != g) {
                v.add(new LabVariant("budget-" + b, SourceKind.OFFLINE, p, b));
            }
        }
        return v;
    }

    /**
     * The variants the configuration asks for ({@link LabConfig#variants()}; all when empty), in {@link #all}'s order.
     * An unknown name is a user error naming the known ones.
     */
    public static List<LabVariant> selected(LabConfig c) {
        List<LabVariant> all = all(c);
        List<String> names = all.stream().map(LabVariant::name).toList();
        for (String n : c.variants()) {
            if (!names.contains(n)) {
                throw new UserError("unknown variant '" + n + "' (--variants): choose among " + String.join(", ", names));
            }
        }
        return c.variants().isEmpty() ? all : all.stream().filter(v -> c.variants().contains(v.name())).toList();
    }

    /** Generations per prompt the offline datasets of a seed need (they are nested prefixes of one draw). */
    public static int maxGenerations(List<LabVariant> variants) {
        return variants.stream().mapToInt(LabVariant::generations).max().orElse(1);
    }
}
