"""Reference fixtures for distill4j's LM tests, made with PyTorch + Hugging Face transformers.

Run:  python3 -m venv /tmp/ref && /tmp/ref/bin/pip install torch transformers safetensors tokenizers numpy
      /tmp/ref/bin/python tools/lm_fixtures.py src/test/resources/fixtures/lm
Writes, per case, a checkpoint directory (config.json, model.safetensors) and reference.safetensors with
input_ids [B, T] (I64), logits [B, T, V] (F32) and, for a left-padded batch, padded_ids, padded_mask,
padded_positions and padded_logits. Also bf16.safetensors (a BF16 tensor with its exact F32 values) and
tokenizer/ (a BPE tokenizer.json with a BOS template and expected encodings). The Java tests only read
these files; Python is never needed to run them.
"""
import json, os, sys
import torch
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, MistralConfig, MistralForCausalLM

out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures/lm"
torch.manual_seed(1234)

COMMON = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, max_position_embeddings=64,
              bos_token_id=1, eos_token_id=2, pad_token_id=0)
CASES = {
    "llama_gqa_tied": (LlamaConfig, LlamaForCausalLM, dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                                                            rms_norm_eps=1e-6, rope_theta=10000.0)),
    "llama_untied": (LlamaConfig, LlamaForCausalLM, dict(num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=False,
                                                          rms_norm_eps=1e-5, rope_theta=500000.0, head_dim=16)),
    "qwen2_bias": (Qwen2Config, Qwen2ForCausalLM, dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False,
                                                        rms_norm_eps=1e-6, rope_theta=1000000.0)),
    "mistral": (MistralConfig, MistralForCausalLM, dict(num_attention_heads=4, num_key_value_heads=1, tie_word_embeddings=False,
                                                         rms_norm_eps=1e-5, rope_theta=10000.0, sliding_window=None)),
}

def randomise(model):
    # transformers initialises norms to 1 and biases to 0: perturb them so the test sees every parameter
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(0.15 * torch.randn_like(p))

for case, (cfg_cls, model_cls, extra) in CASES.items():
    d = os.path.join(out, case)
    cfg = cfg_cls(**COMMON, **extra)
    model = model_cls(cfg).eval()
    randomise(model)
    model.save_pretrained(d, safe_serialization=True)
    ids = torch.randint(3, 64, (2, 7))
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    # left-padded batch: row 0 has 3 pads, row 1 none
    pids = torch.randint(3, 64, (2, 6))
    pids[0, :3] = 0
    mask = torch.ones_like(pids)
    mask[0, :3] = 0
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        plogits = model(input_ids=pids, attention_mask=mask, position_ids=pos).logits
    save_file({"input_ids": ids.contiguous(), "logits": logits.float().contiguous(),
               "padded_ids": pids.contiguous(), "padded_mask": mask.contiguous(), "padded_positions": pos.contiguous(),
               "padded_logits": plogits.float().contiguous()}, os.path.join(d, "reference.safetensors"))
    for f in os.listdir(d):
        if f not in ("config.json", "model.safetensors", "generation_config.json", "reference.safetensors"):
            os.remove(os.path.join(d, f))
    print(case, "params", sum(p.numel() for p in model.parameters()))

# BF16 interop: values exactly representable in bf16, stored as BF16 and as F32
vals = torch.randn(3, 5).to(torch.bfloat16)
save_file({"w": vals.contiguous(), "w_f16": vals.to(torch.float16).contiguous()}, os.path.join(out, "bf16.safetensors"))
save_file({"w": vals.float().contiguous(), "w_f16": vals.to(torch.float16).float().contiguous()}, os.path.join(out, "bf16_expected.safetensors"))

# A real BPE tokenizer.json with a BOS template, and expected encodings
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers, processors
tok = Tokenizer(models.BPE(unk_token="<unk>"))
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<pad>", "<s>", "</s>", "<unk>"],
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
corpus = ["the quick brown fox jumps over the lazy dog", "distillation of language models in java",
          "a teacher and a student walk into a lab", "the oracle knows the truth"] * 20
tok.train_from_iterator(corpus, trainer)
tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", 1)])
td = os.path.join(out, "tokenizer")
os.makedirs(td, exist_ok=True)
tok.save(os.path.join(td, "tokenizer.json"))
samples = ["the quick brown fox", "a student walks into the lab", "Unseen words: ZEBRA 42!"]
expected = [{"text": s, "ids_special": tok.encode(s).ids, "ids_plain": tok.encode(s, add_special_tokens=False).ids,
             "decoded": tok.decode(tok.encode(s, add_special_tokens=False).ids)} for s in samples]
with open(os.path.join(td, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print("done")
