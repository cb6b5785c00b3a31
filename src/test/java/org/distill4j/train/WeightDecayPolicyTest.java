package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WeightDecayPolicyTest {
    @Test
    void defaultExemptsNormsBiasesAndEmbeddings() {
        WeightDecayPolicy p = WeightDecayPolicy.DEFAULT;
        assertThat(p.decays("model.embed_tokens.weight")).isFalse();
        assertThat(p.decays("model.layers.3.input_layernorm.weight")).isFalse();
        assertThat(p.decays("model.layers.3.post_attention_layernorm.weight")).isFalse();
        assertThat(p.decays("model.norm.weight")).isFalse();
        assertThat(p.decays("model.layers.0.self_attn.q_proj.bias")).isFalse();
        assertThat(p.decays("model.layers.0.self_attn.q_proj.weight")).isTrue();
        assertThat(p.decays("model.layers.0.mlp.down_proj.weight")).isTrue();
        assertThat(p.decays("lm_head.weight")).isTrue();
    }

    @Test
    void eachExemptionCanBeTurnedOff() {
        assertThat(new WeightDecayPolicy(true, false, false).decays("model.norm.weight")).isTrue();
        assertThat(new WeightDecayPolicy(true, false, false).decays("x.q_proj.bias")).isFalse();
        assertThat(new WeightDecayPolicy(false, true, false).decays("x.q_proj.bias")).isTrue();
        assertThat(new WeightDecayPolicy(false, false, true).decays("model.embed_tokens.weight")).isTrue();
        assertThat(WeightDecayPolicy.ALL.decays("model.norm.weight")).isTrue();
    }
}
