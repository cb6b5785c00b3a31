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
    void theOtherFamiliesNormsAndEmbeddingsAreExemptToo() {
        WeightDecayPolicy p = WeightDecayPolicy.DEFAULT;
        for (String name : new String[] {"transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.weight",
                "transformer.h.1.ln_2.weight", "transformer.ln_f.weight", "transformer.h.0.attn.c_attn.bias",
                "model.layers.0.self_attn.q_norm.weight", "model.layers.1.pre_feedforward_layernorm.weight"}) {
            assertThat(p.decays(name)).as(name).isFalse();
        }
        assertThat(p.decays("transformer.h.0.attn.c_attn.weight")).isTrue();
        assertThat(p.decays("model.layers.0.self_attn.qkv_proj.weight")).isTrue();
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
