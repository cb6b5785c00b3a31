"""Stage 0 of the teacher-hacking lab, trained with PyTorch/transformers instead of distill4j: an independent
check of the lab's training stack (docs/teacher-hacking-lab.md).

Reads a lab run directory (its oracle/config.json, tokenizer.json, data/grammar.jsonl and data/oracle.jsonl),
trains the same configuration from scratch with the lab's recipe (batch 32, AdamW with weight decay 0.01 on
matrices, warmup then cosine to a tenth of the learning rate, gradient clipping at 1, the first 200 samples
held out), prints the validation loss every 100 steps, then samples 300 answers at T = 1 and prints the share
of their nouns that are items of the prompt. Compare with RUN_DIR/oracle/metrics.jsonl and
tools/prompt_dependence.py.

Run: python3 tools/stage0_reference.py runs/demo 1200 3e-3   (torch, transformers, tokenizers)
"""
import json
import math
import random
import sys
import time

import torch
from tokenizers import Tokenizer
from transformers import LlamaConfig, LlamaForCausalLM
torch.set_num_threads(2); torch.manual_seed(int(sys.argv[4]) if len(sys.argv) > 4 else 11)
run = sys.argv[1]; steps = int(sys.argv[2]); lr = float(sys.argv[3])
tok = Tokenizer.from_file(f"{run}/tokenizer.json")
cfg = json.load(open(f"{run}/oracle/config.json"))
model = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in cfg.items() if k not in ("architectures", "torch_dtype")}))
pairs = [json.loads(l) for l in open(f"{run}/data/grammar.jsonl")]
def ex(p):
    a = tok.encode(p["prompt"]).ids; b = tok.encode(p["response"], add_special_tokens=False).ids + [2]
    return a, b
data = [ex(p) for p in pairs]; val, train = data[:200], data[200:]
def batch(rows):
    L = max(len(a) + len(b) for a, b in rows)
    ids = torch.zeros(len(rows), L, dtype=torch.long); lab = torch.full((len(rows), L), -100); att = torch.zeros(len(rows), L, dtype=torch.long)
    for i, (a, b) in enumerate(rows):
        s = a + b; ids[i, :len(s)] = torch.tensor(s); att[i, :len(s)] = 1; lab[i, len(a):len(s)] = torch.tensor(b)
    return ids, att, lab
def loss_of(rows):
    ids, att, lab = batch(rows)
    logits = model(input_ids=ids, attention_mask=att).logits[:, :-1]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), lab[:, 1:].reshape(-1), ignore_index=-100)
decay = [p for n, p in model.named_parameters() if p.dim() >= 2]; nodecay = [p for n, p in model.named_parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": nodecay, "weight_decay": 0.0}], lr=lr)
warm = min(50, steps // 10)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warm if s < warm else 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm))))
rng = random.Random(11); order = []; t0 = time.time()
for step in range(1, steps + 1):
    if len(order) < 32: order += rng.sample(range(len(train)), len(train))
    rows = [train[i] for i in order[:32]]; order = order[32:]
    loss = loss_of(rows); opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); sched.step()
    if step % 100 == 0:
        with torch.no_grad(): vl = sum(loss_of(val[i:i+50]).item() for i in range(0, 200, 50)) / 4
        print(f"step {step} train {loss.item():.4f} val {vl:.4f} ({time.time()-t0:.0f}s)", flush=True)
model.eval(); nouns = {w for p in pairs for w in [it.split()[-1] for it in p["prompt"][len("describe : "):-2].split(" , ")]}
prompts = [json.loads(l)["prompt"] for l in open(f"{run}/data/oracle.jsonl")][:300]
inp = tot = exact = 0
with torch.no_grad():
    for i in range(0, 300, 50):
        enc = [tok.encode(p).ids for p in prompts[i:i+50]]
        for p, e in zip(prompts[i:i+50], enc):
            out = model.generate(torch.tensor([e]), do_sample=True, temperature=1.0, top_k=0, max_new_tokens=64, eos_token_id=2, pad_token_id=0)
            resp = tok.decode(out[0, len(e):].tolist()).split()
            want = [it.split()[-1] for it in p[len("describe : "):-2].split(" , ")]
            said = [w for w in resp if w in nouns]; tot += len(said); inp += sum(w in want for w in said); exact += sorted(said) == sorted(want)
print(f"nouns that are prompt items {inp/max(tot,1):.3f}; answers naming exactly the items {exact/300:.3f}")
