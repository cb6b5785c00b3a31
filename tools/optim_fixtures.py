"""Reference fixture for distill4j's optimizer layer (AdamW, global-norm clipping, warmup+cosine LR).

Run:  /tmp/ref/bin/python tools/optim_fixtures.py src/test/resources/fixtures/optim
(torch, safetensors and numpy; see tools/lm_fixtures.py for the venv). Writes adamw.safetensors with:
  params.<name>   F32 [S+1, *shape]  values before step 0 (index 0) and after each step k (index k+1)
  grads.<name>    F32 [S, *shape]    raw gradients of step k, before clipping
  exp_avg.<name>, exp_avg_sq.<name>  F32 [*shape]  AdamW moments after the last step
  lr_bits         I64 [S]            the LR of each step as IEEE-754 double bit patterns (the project's
                                     safetensors reader has no F64, and the LR must reach Java unrounded)
  total_norms     F32 [S]            clip_grad_norm_'s return value (pre-clip global norm) per step
  clipped         I64 [S]            1 when clipping scaled the gradients on that step
and the hyperparameters in __metadata__. The Java tests only read this file.
"""
import json, math, os, sys
import numpy as np
import torch
from safetensors.torch import save_file

out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures/optim"
torch.manual_seed(20240611)

SHAPES = {
    "model.embed_tokens.weight": (6, 4),
    "model.layers.0.input_layernorm.weight": (4,),
    "model.layers.0.self_attn.q_proj.weight": (4, 4),
    "model.layers.0.self_attn.q_proj.bias": (4,),
    "model.layers.0.mlp.down_proj.weight": (4, 3),
    "model.norm.weight": (4,),
    "lm_head.weight": (6, 4),
}
BETAS, EPS, WEIGHT_DECAY, MAX_NORM = (0.9, 0.999), 1e-8, 0.1, 1.0
START_LR, PEAK_LR, FINAL_LR, WARMUP, TOTAL = 0.002, 0.02, 0.002, 2, 5
# Gradient scale per step: the global norm is about 9.5 × scale, so steps 1, 3 and 5 are clipped and the
# others are not. Seven steps reach past TOTAL, where the LR stays at FINAL_LR.
GRAD_SCALES = [0.05, 0.5, 0.02, 1.0, 0.06, 0.3, 0.01]
STEPS = len(GRAD_SCALES)


def decays(name):
    # the project's default exemption: norms, biases and the token embedding get no weight decay
    return not (name.endswith("norm.weight") or name.endswith(".bias") or name.endswith("embed_tokens.weight"))


def lr_at(step):
    # linear warmup START_LR → PEAK_LR over WARMUP steps, cosine PEAK_LR → FINAL_LR until TOTAL, then FINAL_LR
    if step < WARMUP:
        return START_LR + (PEAK_LR - START_LR) * step / WARMUP
    if step >= TOTAL:
        return FINAL_LR
    progress = (step - WARMUP) / (TOTAL - WARMUP)
    return FINAL_LR + (PEAK_LR - FINAL_LR) * 0.5 * (1.0 + math.cos(math.pi * progress))


params = {}
for name, shape in SHAPES.items():
    if name.endswith("norm.weight"):
        init = 1.0 + 0.1 * torch.randn(shape)
    elif name.endswith(".bias"):
        init = 0.1 * torch.randn(shape)
    else:
        init = 0.5 * torch.randn(shape)
    params[name] = torch.nn.Parameter(init.float())

groups = [
    {"params": [p for n, p in params.items() if decays(n)], "weight_decay": WEIGHT_DECAY},
    {"params": [p for n, p in params.items() if not decays(n)], "weight_decay": 0.0},
]
# foreach=False: the per-tensor loop is what torch uses on CPU anyway, and it is the formula order the Java
# implementation mirrors.
opt = torch.optim.AdamW(groups, lr=PEAK_LR, betas=BETAS, eps=EPS, foreach=False)

history = {n: [p.detach().clone()] for n, p in params.items()}
grads = {n: [] for n in params}
lrs, norms, clipped = [], [], []
for step in range(STEPS):
    opt.zero_grad(set_to_none=False)
    for n, p in params.items():
        g = (GRAD_SCALES[step] * torch.randn(p.shape)).float()
        grads[n].append(g.clone())
        p.grad = g
    total = torch.nn.utils.clip_grad_norm_(list(params.values()), MAX_NORM)
    ratio = float(total) / MAX_NORM
    assert abs(ratio - 1) > 0.05, f"step {step}: norm {float(total)} too close to max_norm for a stable clip decision"
    lr = lr_at(step)
    for g in opt.param_groups:
        g["lr"] = lr
    opt.step()
    lrs.append(lr)
    norms.append(float(total))
    clipped.append(1 if ratio > 1 else 0)
    for n, p in params.items():
        history[n].append(p.detach().clone())
assert 0 < sum(clipped) < STEPS, f"clipping should be active on some steps only: {clipped}"

tensors = {}
for n in params:
    tensors["params." + n] = torch.stack(history[n]).contiguous()
    tensors["grads." + n] = torch.stack(grads[n]).contiguous()
for n, p in params.items():
    state = opt.state[p]
    tensors["exp_avg." + n] = state["exp_avg"].clone().contiguous()
    tensors["exp_avg_sq." + n] = state["exp_avg_sq"].clone().contiguous()
tensors["lr_bits"] = torch.from_numpy(np.array(lrs, dtype=np.float64).view(np.int64).copy())
tensors["total_norms"] = torch.tensor(norms, dtype=torch.float32)
tensors["clipped"] = torch.tensor(clipped, dtype=torch.int64)

meta = {
    "torch": torch.__version__,
    "names": json.dumps(list(SHAPES)),
    "steps": str(STEPS),
    "beta1": repr(BETAS[0]), "beta2": repr(BETAS[1]), "eps": repr(EPS),
    "weight_decay": repr(WEIGHT_DECAY), "max_norm": repr(MAX_NORM),
    "start_lr": repr(START_LR), "peak_lr": repr(PEAK_LR), "final_lr": repr(FINAL_LR),
    "warmup_steps": str(WARMUP), "total_steps": str(TOTAL),
}
os.makedirs(out, exist_ok=True)
path = os.path.join(out, "adamw.safetensors")
save_file(tensors, path, metadata=meta)
print(f"{path}: {os.path.getsize(path)} bytes; norms {[round(x, 4) for x in norms]}; clipped {clipped}; lrs {lrs}")
