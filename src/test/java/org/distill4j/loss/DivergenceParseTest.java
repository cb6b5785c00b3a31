package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;

class DivergenceParseTest {
    @Test
    void cliNamesMapToTheRecordsAndBack() {
        assertThat(Divergence.parse("fkl", 0.5, 0.1)).isEqualTo(new ForwardKl());
        assertThat(Divergence.parse("rkl", 0.5, 0.1)).isEqualTo(new ReverseKl());
        assertThat(Divergence.parse("JSD", 0.3, 0.1)).isEqualTo(new Jsd(0.3));
        assertThat(Divergence.parse("skl", 0.5, 0.1)).isEqualTo(new SkewKl(0.1));
        assertThat(Divergence.parse("srkl", 0.5, 0.2)).isEqualTo(new SkewReverseKl(0.2));
        assertThat(Divergence.parse("tvd", 0.5, 0.1)).isEqualTo(new Tvd());
        for (Divergence d : LossTestSupport.ALL) {
            assertThat(Divergence.parse(d.cliName(), d instanceof Jsd j ? j.beta() : 0.5, 0.1).cliName()).isEqualTo(d.cliName());
        }
    }

    @Test
    void rejectsUnknownNamesAndCoefficientsOutsideTheUnitInterval() {
        assertThatThrownBy(() -> Divergence.parse("kl", 0.5, 0.1)).isInstanceOf(UserError.class).hasMessageContaining("fkl, rkl");
        assertThatThrownBy(() -> Divergence.parse("jsd", 1.5, 0.1)).isInstanceOf(UserError.class).hasMessageContaining("beta");
        assertThatThrownBy(() -> Divergence.parse("skl", 0.5, -0.1)).isInstanceOf(UserError.class).hasMessageContaining("alpha");
        assertThatThrownBy(() -> new Jsd(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DistillationLoss(new Tvd(), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DistillationLoss(new Tvd(), Double.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DistillationLoss(null, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
