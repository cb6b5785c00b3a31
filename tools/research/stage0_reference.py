"""Stage 0 of the teacher-hacking lab, trained with PyTorch/transformers instead of distill4j: an independent
check of the lab's training stack (docs/teacher-hacking-lab.md).

Reads a lab run directory (its oracle/config.json, tokenizer.json, data/grammar.jsonl and data/oracle.jsonl),
trains the same configuration from scratch with the lab's recipe (batch 32, AdamW with weight decay 0.01 on
matrices, warmup then cosine to a tenth of the learning rate, gradient clipping at 1, the first 200 samples
held out), prints the validation loss every 100 steps, then samples 300 answers at T = 1 and prints the share
of their nouns that are items of the prompt. Compare with RUN_DIR/oracle/metrics.jsonl and
tools/research/prompt_dependence.py.

Run: python3 tools/research/stage0_reference.py runs/demo 1200 3e-3   (torch, transformers, tokenizers)
"""
import json
import math
import random
import sys
import time

import torch
from tokenizers import Tokenizer
from transformers import LlamaConfig, LlamaForCausalLM

from prompt_dependence import items

BATCH = 32
VAL = 200
EOS, PAD = 2, 0


def example(tok, record):
    """(prompt ids with BOS, response ids with EOS): the lab's PromptTemplate."""
    return tok.encode(record["prompt"]).ids, tok.encode(record["response"], add_special_tokens=False).ids + [EOS]


def tensors(rows):
    """Right-padded ids, attention mask and labels (-100 outside the responses)."""
    width = max(len(a) + len(b) for a, b in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    labels = torch.full((len(rows), width), -100)
    mask = torch.zeros(len(rows), width, dtype=torch.long)
    for i, (a, b) in enumerate(rows):
        seq = a + b
        ids[i, :len(seq)] = torch.tensor(seq)
        mask[i, :len(seq)] = 1
        labels[i, len(a):len(seq)] = torch.tensor(b)
    return ids, mask, labels


def loss_of(model, rows):
    """Mean cross-entropy per response token."""
    ids, mask, labels = tensors(rows)
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels[:, 1:].reshape(-1),
                                             ignore_index=-100)


def optimizer(model, lr, steps):
    """AdamW (decay on matrices only), linear warmup, cosine to lr / 10: the lab's TrainConfig for stage 0."""
    params = list(model.parameters())
    opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.01},
                             {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}], lr=lr)
    warm = min(50, steps // 10)

    def factor(s):
        if s < warm:
            return (s + 1) / warm
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm)))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)


def train(model, train_rows, val_rows, steps, lr):
    opt, schedule = optimizer(model, lr, steps)
    rng = random.Random(11)
    order = []
    t0 = time.time()
    for step in range(1, steps + 1):
        if len(order) < BATCH:
            order += rng.sample(range(len(train_rows)), len(train_rows))
        rows = [train_rows[i] for i in order[:BATCH]]
        order = order[BATCH:]
        loss = loss_of(model, rows)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        if step % 100 == 0:
            with torch.no_grad():
                val = sum(loss_of(model, val_rows[i:i + 50]).item() for i in range(0, VAL, 50)) / (VAL // 50)
            print(f"step {step} train {loss.item():.4f} val {val:.4f} ({time.time() - t0:.0f}s)", flush=True)


def prompt_dependence(model, tok, nouns, prompts):
    """Share of the answers' nouns that are prompt items, and of answers naming exactly the prompt's items."""
    in_prompt = total = exact = 0
    with torch.no_grad():
        for prompt in prompts:
            ids = tok.encode(prompt).ids
            out = model.generate(torch.tensor([ids]), do_sample=True, temperature=1.0, top_k=0, max_new_tokens=64,
                                 eos_token_id=EOS, pad_token_id=PAD)
            said = [w for w in tok.decode(out[0, len(ids):].tolist()).split() if w in nouns]
            wanted = items(prompt)
            total += len(said)
            in_prompt += sum(w in wanted for w in said)
            exact += sorted(said) == sorted(wanted)
    return in_prompt / max(total, 1), exact / len(prompts)


def main():
    run, steps, lr = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    torch.set_num_threads(2)
    torch.manual_seed(int(sys.argv[4]) if len(sys.argv) > 4 else 11)
    tok = Tokenizer.from_file(f"{run}/tokenizer.json")
    cfg = json.load(open(f"{run}/oracle/config.json"))
    model = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in cfg.items() if k not in ("architectures", "torch_dtype")}))
    records = [json.loads(line) for line in open(f"{run}/data/grammar.jsonl")]
    rows = [example(tok, r) for r in records]
    train(model, rows[VAL:], rows[:VAL], steps, lr)
    model.eval()
    nouns = {n for r in records for n in items(r["prompt"])}
    prompts = [json.loads(line)["prompt"] for line in open(f"{run}/data/oracle.jsonl")][:300]
    noun_share, exact = prompt_dependence(model, tok, nouns, prompts)
    print(f"nouns that are prompt items {noun_share:.3f}; answers naming exactly the items {exact:.3f}")


if __name__ == "__main__":
    main()
