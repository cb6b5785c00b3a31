package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import org.distill4j.util.Scalars;

/**
 * Generalized Jensen-Shannon divergence in TRL's convention (GKDTrainer.generalized_jsd_loss, Eq. 1
 * of the GKD paper, arXiv 2306.13649):
 *
 * <pre>
 *   M = β·p + (1−β)·q,   JSD_β(p, q) = β·KL(p‖M) + (1−β)·KL(q‖M)
 * </pre>
 *
 * with p the teacher and q the student. Always finite, and at most the binary entropy
 * h(β) = −β log β − (1−β) log(1−β) (log 2 at β = ½, where it is the symmetric JSD).
 *
 * <p><b>The ends are a convention, not limits.</b> As β → 0 the formula goes to 0, not to a KL:
 * JSD_β = β·KL(p‖q) + O(β²), and as β → 1, JSD_β = (1−β)·KL(q‖p) + O((1−β)²). So small β behaves like
 * a scaled-down forward KL and β near 1 like a scaled-down reverse KL. TRL special-cases the ends —
 * β = 0 computes KL(p‖q) and β = 1 computes KL(q‖p), unscaled — and so does this record, so that a
 * given β means the same loss here as in TRL. The loss is therefore discontinuous at β = 0 and β = 1
 * (it jumps from ≈0 to the full KL); use {@link ForwardKl}/{@link ReverseKl} to say so directly.
 * Old TRL releases built M with β and 1−β swapped; this follows the corrected code.
 *
 * @param beta the teacher's weight in the mixture, in [0, 1]
 */
public record Jsd(double beta) implements Divergence {
    public Jsd {
        Divergence.checkUnit("jsd beta", beta);
    }

    @Override
    public NDArray between(NDArray teacherLogProbs, NDArray studentLogProbs) {
        if (beta == 0) {
            return LogSpace.kl(teacherLogProbs, studentLogProbs);
        }
        if (beta == 1) {
            return LogSpace.kl(studentLogProbs, teacherLogProbs);
        }
        NDArray logMixture = LogSpace.logMixture(teacherLogProbs, studentLogProbs, beta);
        NDArray teacherTerm = Scalars.mul(LogSpace.kl(teacherLogProbs, logMixture), beta);
        NDArray studentTerm = Scalars.mul(LogSpace.kl(studentLogProbs, logMixture), 1 - beta);
        return teacherTerm.add(studentTerm);
    }

    @Override
    public String cliName() {
        return "jsd";
    }
}
