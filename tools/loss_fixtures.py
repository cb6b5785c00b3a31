"""Reference fixtures for distill4j's distillation losses (org.distill4j.loss), computed independently in torch.

Run:  /tmp/ref/bin/python tools/loss_fixtures.py src/test/resources/fixtures/loss
(torch, safetensors, numpy; see tools/lm_fixtures.py for the venv). The Java tests only read the output.

Inputs: student and teacher logits [2, 5, 11] (F32) and a float mask [2, 5]. Vocabulary entry 10 is -inf in every
row of both models (a padded vocabulary), a few more entries are -inf in both, position (0, 2) keeps only two finite
entries, and the two masked-out positions hold garbage: (1, 0) is all -inf and (0, 4) is all NaN.

The reference works position by position on the finite entries only, in float64, with the textbook formulas on
probabilities (no log-space tricks, no masking arithmetic), so it shares no code path with the Java version:
  fkl  sum p log(p/q)             rkl  sum q log(q/p)
  jsd  M = b p + (1-b) q; b KL(p||M) + (1-b) KL(q||M); b = 0 -> KL(p||q), b = 1 -> KL(q||p) (TRL's ends)
  skl  KL(p || a p + (1-a) q)     srkl KL(q || a q + (1-a) p)     tvd  0.5 sum |p - q|
with p = softmax(teacher / tau), q = softmax(student / tau).

divergences.safetensors: student_logits, teacher_logits, mask, and per case (metadata "cases": name, divergence,
beta, alpha, temperature):
  <case>.per_token [2, 5] (0 at masked positions), <case>.token_mean, <case>.sequence_mean, <case>.sum  [1],
  <case>.grad [2, 5, 11] = d token_mean / d student_logits.
Plus trl.<case>.token_mean [1]: TRL's GKDTrainer.generalized_jsd_loss re-implemented from its documented definition
(F.log_softmax, a logsumexp mixture, F.kl_div(log_target=True), labels mask, "batchmean") on the same logits with
-inf replaced by -1e4 (the same distributions; TRL's kl_div would turn -inf - -inf into NaN) and NaN rows by 0.

sparse.safetensors: k = 4 top-k teacher per temperature (metadata "temperatures"):
  t<tau>.indices I64 [2, 5, 4], t<tau>.log_probs F32 [2, 5, 4], t<tau>.tail_log_prob F32 [2, 5]
  t<tau>.<div>.per_token [2, 5], t<tau>.<div>.token_mean [1], t<tau>.<div>.grad [2, 5, 11]
where each divergence runs on the k+1 classes (the teacher's top-k ids, then the rest of the mass).
"""
import json, math, os, sys
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures/loss"
os.makedirs(out, exist_ok=True)
torch.manual_seed(20250611)
B, T, V, K = 2, 5, 11, 4
NEG_INF = float("-inf")

student = (1.5 * torch.randn(B, T, V)).float()
teacher = (1.5 * torch.randn(B, T, V)).float()
for logits in (student, teacher):
    logits[:, :, 10] = NEG_INF
    logits[0, 1, 3] = NEG_INF
    logits[1, 3, 0] = NEG_INF
    logits[1, 3, 7] = NEG_INF
    logits[0, 2, 2:] = NEG_INF      # only two finite entries left
    logits[1, 0, :] = NEG_INF       # padding garbage: all -inf
    logits[0, 4, :] = float("nan")  # padding garbage: NaN
mask = torch.tensor([[0, 1, 1, 1, 0], [0, 0, 1, 1, 1]], dtype=torch.float32)
VALID = [(b, t) for b in range(B) for t in range(T) if mask[b, t] > 0]
SEQUENCES = sum(1 for b in range(B) if mask[b].sum() > 0)


def kl(a, b):
    return (a * torch.log(a / b)).sum()


def divergence(name, p, q, beta, alpha):
    if name == "fkl" or (name == "jsd" and beta == 0):
        return kl(p, q)
    if name == "rkl" or (name == "jsd" and beta == 1):
        return kl(q, p)
    if name == "jsd":
        m = beta * p + (1 - beta) * q
        return beta * kl(p, m) + (1 - beta) * kl(q, m)
    if name == "skl":
        return kl(p, alpha * p + (1 - alpha) * q)
    if name == "srkl":
        return kl(q, alpha * q + (1 - alpha) * p)
    if name == "tvd":
        return 0.5 * (p - q).abs().sum()
    raise ValueError(name)


def reductions(per_token):
    total = per_token.sum()
    return total / len(VALID), total / SEQUENCES, total


CASES = []
for tau in (1.0, 0.5, 2.0):
    for div, beta, alpha in [("fkl", 0, 0), ("rkl", 0, 0), ("jsd", 0.5, 0), ("jsd", 0.1, 0), ("jsd", 0.9, 0),
                             ("jsd", 0.0, 0), ("jsd", 1.0, 0), ("skl", 0, 0.1), ("srkl", 0, 0.1), ("tvd", 0, 0)]:
        coef = f"_b{beta}" if div == "jsd" else (f"_a{alpha}" if div in ("skl", "srkl") else "")
        CASES.append(dict(name=f"{div}{coef}_t{tau}", divergence=div, beta=beta, alpha=alpha, temperature=tau))

tensors = {"student_logits": student, "teacher_logits": teacher, "mask": mask}
for case in CASES:
    tau = case["temperature"]
    s = student.double().requires_grad_(True)
    per_token = torch.zeros(B, T, dtype=torch.float64)
    rows = []
    for b, t in VALID:
        cols = torch.isfinite(teacher[b, t]).nonzero().flatten()
        assert torch.equal(cols, torch.isfinite(student[b, t]).nonzero().flatten())
        p = torch.softmax(teacher[b, t, cols].double() / tau, dim=0)
        q = torch.softmax(s[b, t, cols] / tau, dim=0)
        d = divergence(case["divergence"], p, q, case["beta"], case["alpha"])
        rows.append(d)
        per_token[b, t] = d.detach()
    token_mean = torch.stack(rows).sum() / len(VALID)
    token_mean.backward()
    tm, sm, total = reductions(per_token)
    assert abs(tm - token_mean.item()) < 1e-12
    n = case["name"]
    tensors[f"{n}.per_token"] = per_token.float()
    tensors[f"{n}.token_mean"] = torch.tensor([tm]).float()
    tensors[f"{n}.sequence_mean"] = torch.tensor([sm]).float()
    tensors[f"{n}.sum"] = torch.tensor([total]).float()
    tensors[f"{n}.grad"] = s.grad.float()


def trl_generalized_jsd(student_logits, teacher_logits, labels, beta, temperature):
    # TRL's definition: logits / temperature, log_softmax, beta == 0 -> kl_div(student, teacher) = KL(teacher || student),
    # beta == 1 -> KL(student || teacher), else the mixture (1 - beta) student + beta teacher via logsumexp and
    # beta KL(teacher || M) + (1 - beta) KL(student || M); masked by labels != -100 and divided by their count.
    student_log_probs = F.log_softmax(student_logits / temperature, dim=-1)
    teacher_log_probs = F.log_softmax(teacher_logits / temperature, dim=-1)
    if beta == 0:
        jsd = F.kl_div(student_log_probs, teacher_log_probs, reduction="none", log_target=True)
    elif beta == 1:
        jsd = F.kl_div(teacher_log_probs, student_log_probs, reduction="none", log_target=True)
    else:
        beta_t = torch.tensor(beta, dtype=student_log_probs.dtype)
        mixture = torch.logsumexp(torch.stack([student_log_probs + torch.log(1 - beta_t),
                                               teacher_log_probs + torch.log(beta_t)]), dim=0)
        kl_teacher = F.kl_div(mixture, teacher_log_probs, reduction="none", log_target=True)
        kl_student = F.kl_div(mixture, student_log_probs, reduction="none", log_target=True)
        jsd = beta_t * kl_teacher + (1 - beta_t) * kl_student
    keep = labels != -100
    return jsd[keep].sum() / keep.sum()


def finite_stand_in(logits):
    x = logits.double().clone()
    x[torch.isnan(x)] = 0.0
    x[torch.isinf(x)] = -1e4
    return x


labels = torch.where(mask > 0, torch.zeros_like(mask, dtype=torch.long), torch.full_like(mask, -100, dtype=torch.long))
trl_cases = []
for case in CASES:
    if case["divergence"] != "jsd":
        continue
    value = trl_generalized_jsd(finite_stand_in(student), finite_stand_in(teacher), labels, case["beta"], case["temperature"])
    ours = tensors[f"{case['name']}.token_mean"].double().item()
    assert abs(value.item() - ours) < 1e-6, (case, value.item(), ours)  # same convention as the reference above
    tensors[f"trl.{case['name']}.token_mean"] = torch.tensor([value.item()]).float()
    trl_cases.append(case["name"])

save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out, "divergences.safetensors"),
          metadata={"cases": json.dumps(CASES), "trl_cases": json.dumps(trl_cases), "k": str(K)})

# ---- top-k teacher with a tail bucket -------------------------------------------------------------------------


def coarsen(log_probs, idx):
    # the k chosen classes, then log of the mass of the others (exact, by summing the others)
    rest = torch.ones(log_probs.shape[0], dtype=torch.bool)
    rest[idx] = False
    return torch.cat([log_probs[idx], torch.logsumexp(log_probs[rest], dim=0, keepdim=True)])


sparse = {}
SPARSE_TAUS = (1.0, 2.0)
SPARSE_DIVS = [("fkl", 0, 0), ("rkl", 0, 0), ("jsd", 0.5, 0), ("skl", 0, 0.1), ("srkl", 0, 0.1), ("tvd", 0, 0)]
for tau in SPARSE_TAUS:
    pre = f"t{tau}"
    teacher_lp = F.log_softmax(finite_stand_in(teacher) / tau, dim=-1)
    teacher_lp[torch.isinf(teacher)] = NEG_INF
    indices = torch.zeros(B, T, K, dtype=torch.long)
    top_lp = torch.zeros(B, T, K, dtype=torch.float64)
    tail = torch.zeros(B, T, dtype=torch.float64)
    for b in range(B):
        for t in range(T):
            if mask[b, t] == 0:
                indices[b, t] = torch.arange(K)  # masked positions: any valid ids; the loss ignores them
                continue
            idx = torch.topk(teacher_lp[b, t], K).indices
            c = coarsen(teacher_lp[b, t], idx)
            indices[b, t], top_lp[b, t], tail[b, t] = idx, c[:K], c[K]
    sparse[f"{pre}.indices"] = indices
    sparse[f"{pre}.log_probs"] = top_lp.float()
    sparse[f"{pre}.tail_log_prob"] = tail.float()
    for div, beta, alpha in SPARSE_DIVS:
        s = student.double().requires_grad_(True)
        per_token = torch.zeros(B, T, dtype=torch.float64)
        rows = []
        for b, t in VALID:
            cols = torch.isfinite(student[b, t]).nonzero().flatten()
            lq = torch.full((V,), NEG_INF, dtype=torch.float64)
            lq = lq.index_put((cols,), torch.log_softmax(s[b, t, cols] / tau, dim=0))
            student_c = coarsen(lq, indices[b, t])
            teacher_c = torch.cat([top_lp[b, t], tail[b, t:t + 1]])
            keep = torch.isfinite(teacher_c)
            assert torch.equal(keep, torch.isfinite(student_c))
            d = divergence(div, teacher_c[keep].exp(), student_c[keep].exp(), beta, alpha)
            rows.append(d)
            per_token[b, t] = d.detach()
        token_mean = torch.stack(rows).sum() / len(VALID)
        token_mean.backward()
        sparse[f"{pre}.{div}.per_token"] = per_token.float()
        sparse[f"{pre}.{div}.token_mean"] = torch.tensor([token_mean.item()]).float()
        sparse[f"{pre}.{div}.grad"] = s.grad.float()

save_file({k: v.contiguous() for k, v in sparse.items()}, os.path.join(out, "sparse.safetensors"),
          metadata={"k": str(K), "temperatures": json.dumps(list(SPARSE_TAUS)),
                    "divergences": json.dumps([dict(divergence=d, beta=b, alpha=a) for d, b, a in SPARSE_DIVS])})
print("wrote", out, len(tensors), "+", len(sparse), "tensors")
