package org.distill4j.data;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.util.UserError;

/**
 * Where a distillation run's batches come from, under the names that `kd --source` and the lab's variants use; the
 * one place that builds each kind of {@link DataSource}, for the kd verb and the lab alike.
 */
public enum SourceKind {
    /** A fixed teacher dataset. */
    OFFLINE("offline"),
    /** Fresh teacher samples for every batch. */
    ONLINE_TEACHER("online-teacher"),
    /** The student's own samples (on-policy). */
    ONLINE_STUDENT("online-student"),
    /** Student samples with probability λ, the offline dataset otherwise. */
    MIXED("mixed");

    private final String id;

    SourceKind(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The kind named {@code name} (case-insensitive); anything else is a {@link UserError} naming {@code flag} and the choices. */
    public static SourceKind parse(String name, String flag) {
        for (SourceKind k : values()) {
            if (k.id.equals(name.toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new UserError(flag + " must be one of " + String.join(", ", Arrays.stream(values()).map(SourceKind::id).toList())
                + ", not '" + name + "'");
    }

    /**
     * The online sources' shared settings: the prompts, their order, and who samples them at which parameters.
     *
     * @param lookahead how many steps of teacher batches are sampled in one call (the samples do not depend on it)
     */
    public record Online(List<long[]> prompts, BatchOrder order, Sampler teacher, SamplingParams teacherParams,
                         DataSource.Lookahead lookahead, Sampler student, SamplingParams studentParams) {
        DataSource.OnlineTeacher teacherSource() {
            return new DataSource.OnlineTeacher(teacher, prompts, order, teacherParams, lookahead);
        }

        DataSource.OnlineStudent studentSource() {
            return new DataSource.OnlineStudent(student, prompts, order, studentParams);
        }
    }

    /**
     * The data source of this kind.
     *
     * @param offline the fixed teacher dataset, asked for only by {@link #OFFLINE} and {@link #MIXED} (it may be costly)
     * @param lambda  {@link #MIXED}'s share of student samples
     * @param seed    {@link #MIXED}'s choice between the two, per batch
     */
    public DataSource build(Online online, Supplier<DataSource.Offline> offline, double lambda, long seed) {
        return switch (this) {
            case OFFLINE -> offline.get();
            case ONLINE_TEACHER -> online.teacherSource();
            case ONLINE_STUDENT -> online.studentSource();
            case MIXED -> new DataSource.Mixture(lambda, online.studentSource(), offline.get(), seed);
        };
    }
}
