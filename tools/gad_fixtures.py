"""Reference fixtures for distill4j's GAD loss maths (org.distill4j.gad: BradleyTerry, GroupAdvantage, PolicyLoss).

Run:  /tmp/ref/bin/python tools/gad_fixtures.py src/test/resources/fixtures/gad
(torch only; see tools/lm_fixtures.py for the venv). The Java tests only read the output.

Every input is a float32 number (written exactly); every reference value and gradient is computed in float64 by
torch autograd with formulas written here independently of the Java code:
  Bradley-Terry   mean over pairs of -F.logsigmoid(t_p - s_pi)               (Java: softplus(s - t))
  accuracy        mean of [t > s] + 0.5 [t == s]
  advantages      (r - r.mean()) / (r.std() + eps), torch.std unbiased, per group (verl compute_grpo_outcome_advantage)
  policy loss     verl compute_policy_loss (no dual clip) + kl_penalty "low_var_kl", token-mean aggregation:
                  ratio = exp(clamp(logp - old, -20, 20)); pg = max(-A ratio, -A clamp(ratio, 1-c, 1+c))
                  d = clamp(ref - logp, -20, 20); k3 = clamp(exp(d) - d - 1, -10, 10)
                  loss = sum(mask (pg + beta k3)) / sum(mask);  clip_fraction = mean over valid of [pg2 > pg1]

Files (all small JSON):
  bradley_terry.json    cases[]: name, teacher [P], student [P, N], loss, accuracy, grad_teacher [P], grad_student [P, N]
  group_advantage.json  eps, rewards [[...], ...] (ragged groups), advantages (same shape)
  policy_loss.json      inputs (log_probs, old_log_probs, ref_log_probs, mask [B, R]; advantages [B]) and
                        cases[]: clip, kl_coef, use_ref, loss, policy_loss, kl, clip_fraction, pg [B, R], k3 [B, R],
                        grad [B, R] = d loss / d log_probs;
                        k3: log_probs, ref_log_probs [K], k3 [K], grad [K] = d sum(k3) / d log_probs
Padded positions hold finite garbage (a log-ratio of 30, which would hit every clamp) that the mask must remove.
"""
import json, os, sys
import torch
import torch.nn.functional as F

out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures/gad"
os.makedirs(out, exist_ok=True)
torch.manual_seed(20251114)
D = torch.float64


def f32(x):
    """float32 inputs, held in float64 for the reference arithmetic (exactly the values Java sees)."""
    return x.to(torch.float32).to(D)


def plain(t):
    return t.detach().tolist()


def write(name, obj):
    path = os.path.join(out, name)
    with open(path, "w") as f:
        json.dump(obj, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(path, os.path.getsize(path), "bytes")


# ---- Bradley-Terry ---------------------------------------------------------------------------------------------
def bt_case(name, teacher, student):
    t = teacher.clone().requires_grad_(True)
    s = student.clone().requires_grad_(True)
    loss = (-F.logsigmoid(t[:, None] - s)).mean()
    loss.backward()
    acc = ((t[:, None] > s).to(D) + 0.5 * (t[:, None] == s).to(D)).mean()
    return {"name": name, "teacher": plain(teacher), "student": plain(student), "loss": loss.item(),
            "accuracy": acc.item(), "grad_teacher": plain(t.grad), "grad_student": plain(s.grad)}


bt = [
    bt_case("random_3x4", f32(1.5 * torch.randn(3)), f32(1.5 * torch.randn(3, 4))),
    # t - s = +100, 0, -100 and a tie: log(sigmoid(-100)) underflows nothing in float64, softplus stays exact in float32
    bt_case("extreme_100", f32(torch.tensor([50.0, -50.0])), f32(torch.tensor([[-50.0, 50.0], [50.0, -50.0]]))),
    # ties count 0.5 in the accuracy
    bt_case("ties", f32(torch.tensor([0.25, 1.0])), f32(torch.tensor([[0.25, -1.0, 2.0], [1.0, 1.0, 0.5]]))),
]
write("bradley_terry.json", {"cases": bt})

# ---- group advantages ------------------------------------------------------------------------------------------
EPS = 1e-6
groups = [
    f32(torch.randn(8)),                          # GAD's N = 8
    f32(torch.tensor([0.5, 0.5, 0.5, 0.5])),      # all equal: exactly 0 (0.5 makes the float mean exact too)
    f32(torch.tensor([1.75])),                    # one sample: no group to compare with -> 0 (verl would give r/(1+eps))
    f32(torch.tensor([2.0, -1.0])),               # two samples: +-1/sqrt(2) after the unbiased std
    f32(3.0 + 0.01 * torch.randn(5)),             # a small spread around a large mean
]


def advantages(r):
    if r.numel() < 2:
        return torch.zeros_like(r)
    return (r - r.mean()) / (torch.std(r) + EPS)


write("group_advantage.json", {"eps": EPS, "rewards": [plain(g) for g in groups],
                               "advantages": [plain(advantages(g)) for g in groups]})

# ---- policy loss -----------------------------------------------------------------------------------------------
B, R = 3, 5
mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], dtype=D)
log_probs = f32(-torch.rand(B, R) * 3 - 0.05)
# log-ratios spread over [-0.6, 0.6]: ratios 0.55 .. 1.82, inside and outside [0.8, 1.2] (and [0.7, 1.3])
delta = (torch.rand(B, R) * 1.2 - 0.6)
old_log_probs = f32(log_probs - delta)
ref_log_probs = f32(log_probs + 0.3 * torch.randn(B, R))
ref_log_probs[0, 1] = f32(log_probs[0, 1] + 15.0)    # d = 15: exp(15) - 16 hits the k3 clamp at 10
ref_log_probs[2, 2] = f32(log_probs[2, 2] - 30.0)    # d = -30: d clamps at -20, then k3 = 19 clamps at 10
ref_log_probs[1, 0] = f32(log_probs[1, 0] - 4.0)     # d = -4: large but below the clamp
advantages_b = f32(torch.tensor([1.3, -0.7, 0.4]))
for b, r in [(1, 3), (1, 4), (2, 4)]:                  # garbage at padded positions
    log_probs[b, r] = 0.0
    old_log_probs[b, r] = -30.0
    ref_log_probs[b, r] = -30.0
valid = mask > 0


def k3_of(lp, ref):
    d = torch.clamp(ref - lp, min=-20.0, max=20.0)
    return torch.clamp(torch.exp(d) - d - 1, min=-10.0, max=10.0)


def policy_case(clip, kl_coef, use_ref):
    lp = log_probs.clone().requires_grad_(True)
    ratio = torch.exp(torch.clamp(lp - old_log_probs, min=-20.0, max=20.0))
    a = advantages_b[:, None]
    pg1 = -a * ratio
    pg2 = -a * torch.clamp(ratio, 1 - clip, 1 + clip)
    pg = torch.maximum(pg1, pg2)
    k3 = k3_of(lp, ref_log_probs)
    per_token = pg + kl_coef * k3 if use_ref else pg
    n = mask.sum()
    loss = (per_token * mask).sum() / n
    loss.backward()
    return {"clip": clip, "kl_coef": kl_coef, "use_ref": use_ref, "loss": loss.item(),
            "policy_loss": ((pg * mask).sum() / n).item(),
            "kl": ((k3 * mask).sum() / n).item() if use_ref else None,
            "clip_fraction": (((pg2 > pg1).to(D) * mask).sum() / n).item(),
            "pg": plain(torch.where(valid, pg, 0.0)), "k3": plain(torch.where(valid, k3, 0.0)),
            "grad": plain(lp.grad)}


cases = [policy_case(0.2, 0.001, True), policy_case(0.2, 0.1, True), policy_case(0.3, 0.0, False)]
for c in cases:
    assert 0 < c["clip_fraction"] < 1, "the fixture must have tokens on both branches"

# k3 alone at d = ref - logp from tiny to past both clamps
k_lp = f32(torch.tensor([-1.0, -2.0, -0.5, -3.0, -1.0, -2.0, -0.1, -5.0, -1.0]))
k_d = torch.tensor([0.0, 1e-3, 0.5, -0.5, 2.0, -3.0, 2.5, -12.0, -25.0])
k_ref = f32(k_lp + k_d)
k_lp_g = k_lp.clone().requires_grad_(True)
k3_values = k3_of(k_lp_g, k_ref)
k3_values.sum().backward()

write("policy_loss.json", {
    "inputs": {"log_probs": plain(log_probs), "old_log_probs": plain(old_log_probs),
               "ref_log_probs": plain(ref_log_probs), "advantages": plain(advantages_b), "mask": plain(mask)},
    "cases": cases,
    "k3": {"log_probs": plain(k_lp), "ref_log_probs": plain(k_ref), "k3": plain(k3_values), "grad": plain(k_lp_g.grad)},
})
