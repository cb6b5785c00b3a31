"""Parity fixtures for every model family distill4j loads, made with PyTorch + Hugging Face transformers.

Run:  /tmp/ref/bin/python tools/family_fixtures.py src/test/resources/fixtures/families
Per case, a tiny random model as transformers saves it (config.json, model.safetensors) and reference.safetensors:
  input_ids [2, T] and logits [2, T, V] of a full forward pass;
  prompt0, prompt1 and greedy0, greedy1: two prompts of different lengths and their greedy continuations
    (argmax of a full forward pass per step, end-of-sequence ignored);
  loss (scalar) and grad.<parameter name>: the mean next-token cross-entropy over input_ids and its gradient.
Weights are spread (N(0, 0.15²), norms 1 ± 0.1, biases ± 0.1) so that logits are far from flat and greedy
choices are not near ties. The Java tests (FamilyParityTest) only read these files.
"""
import os, shutil, sys
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import (Gemma2Config, Gemma2ForCausalLM, Gemma3ForCausalLM, Gemma3TextConfig, GPT2Config,
                          GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM, Phi3Config,
                          Phi3ForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)

out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures/families"
V = 64
IDS = dict(bos_token_id=1, eos_token_id=2, pad_token_id=0)
SMALL = dict(vocab_size=V, hidden_size=32, intermediate_size=48, num_hidden_layers=2, **IDS)


def llama_rope(max_positions, rope):
    return (LlamaConfig, LlamaForCausalLM, dict(SMALL, num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                                                 max_position_embeddings=max_positions, rope_parameters=rope))


CASES = {
    "llama": (LlamaConfig, LlamaForCausalLM, dict(SMALL, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                                                   tie_word_embeddings=True)),
    "llama_llama3": llama_rope(64, {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                    "high_freq_factor": 4.0, "original_max_position_embeddings": 32}),
    "llama_linear": llama_rope(64, {"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0}),
    # max_position_embeddings below the 20-token input, so the pass runs with the scaled (dynamic) base
    "llama_dynamic": llama_rope(16, {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}),
    "llama_yarn": llama_rope(64, {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 16}),
    "qwen2": (Qwen2Config, Qwen2ForCausalLM, dict(SMALL, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                                                   tie_word_embeddings=False, rope_theta=1000000.0)),
    "mistral": (MistralConfig, MistralForCausalLM, dict(SMALL, num_attention_heads=4, num_key_value_heads=1, max_position_embeddings=64,
                                                         sliding_window=5)),
    # explicit head_dim (16, not 32 / 4), and the second layer within a 4-token window (max_window_layers 1)
    "qwen3": (Qwen3Config, Qwen3ForCausalLM, dict(SMALL, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                                                   max_position_embeddings=64, tie_word_embeddings=False, use_sliding_window=True,
                                                   sliding_window=4, max_window_layers=1)),
    # softcaps small enough that tanh bends; query_pre_attn_scalar != head_dim; layer 0 sliding, layer 1 global
    "gemma2": (Gemma2Config, Gemma2ForCausalLM, dict(SMALL, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                                                      max_position_embeddings=64, query_pre_attn_scalar=16, sliding_window=4,
                                                      attn_logit_softcapping=3.0, final_logit_softcapping=5.0)),
    "gemma3_text": (Gemma3TextConfig, Gemma3ForCausalLM, dict(SMALL, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                                                               max_position_embeddings=64, query_pre_attn_scalar=16, sliding_window=4,
                                                               layer_types=["sliding_attention", "full_attention"],
                                                               rope_parameters={"full_attention": {"rope_type": "linear", "factor": 2.0,
                                                                                                   "rope_theta": 1000000.0},
                                                                                "sliding_attention": {"rope_type": "default",
                                                                                                      "rope_theta": 10000.0}})),
    "phi3": (Phi3Config, Phi3ForCausalLM, dict(SMALL, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                                                original_max_position_embeddings=64, partial_rotary_factor=0.5)),
    "gpt2": (GPT2Config, GPT2LMHeadModel, dict(vocab_size=V, n_embd=32, n_layer=2, n_head=4, n_positions=64, **IDS)),
}


def randomise(model):
    # transformers initialises norms to the identity (scale 1; Gemma's offset 0) and biases to 0: perturb them so the
    # tests see every parameter; embeddings and head wide so that the final-normed hidden state gives peaked logits
    identity = 0.0 if "Gemma" in type(model).__name__ else 1.0
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or ".ln_" in name:
                p.copy_(identity + 0.1 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "embed_tokens" in name or "wte" in name or "lm_head" in name:
                p.copy_(0.6 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))


def greedy(model, prompt, n):
    """The greedy continuation and the smallest top-1/top-2 logit gap along it (how far from a tie)."""
    ids = prompt.clone()
    gap = float("inf")
    with torch.no_grad():
        for _ in range(n):
            last = model(input_ids=ids).logits[:, -1]
            top = last.topk(2, -1).values
            gap = min(gap, (top[:, 0] - top[:, 1]).min().item())
            ids = torch.cat([ids, last.argmax(-1, keepdim=True)], dim=1)
    return ids[:, prompt.shape[1]:], gap


def main():
    for case, (cfg_cls, model_cls, extra) in CASES.items():
        torch.manual_seed(sum(map(ord, case)))
        d = os.path.join(out, case)
        shutil.rmtree(d, ignore_errors=True)
        cfg = cfg_cls(**extra)
        cfg._attn_implementation = "eager"
        model = model_cls(cfg).eval()
        randomise(model)
        model.save_pretrained(d, safe_serialization=True)
        t = 20 if case == "llama_dynamic" else 10
        ids = torch.randint(3, V, (2, t))
        with torch.no_grad():
            logits = model(input_ids=ids).logits
        prompts = [torch.randint(3, V, (1, 5)), torch.randint(3, V, (1, 3))]
        runs = [greedy(model, p, 7) for p in prompts]
        greedies = [r[0] for r in runs]
        model.zero_grad()
        train_logits = model(input_ids=ids).logits
        loss = F.cross_entropy(train_logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
        loss.backward()
        tensors = {"input_ids": ids, "logits": logits.float(), "loss": loss.detach().reshape(1),
                   "prompt0": prompts[0], "prompt1": prompts[1], "greedy0": greedies[0], "greedy1": greedies[1]}
        for name, p in model.named_parameters():
            tensors["grad." + name] = p.grad.float()
        save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(d, "reference.safetensors"))
        for f in os.listdir(d):
            if f not in ("config.json", "model.safetensors", "reference.safetensors"):
                os.remove(os.path.join(d, f))
        top1 = logits.softmax(-1).max(-1).values
        print(f"{case}: {type(model).__name__} params {sum(p.numel() for p in model.parameters())}, "
              f"logit std {logits.std():.2f}, mean top-1 prob {top1.mean():.2f}, "
              f"greedy top-1/top-2 gap >= {min(r[1] for r in runs):.3f}, "
              f"loss {loss.item():.4f}, size {sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)) // 1024} KiB")


if __name__ == "__main__":
    main()
