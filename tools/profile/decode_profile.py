"""Sums JFR stack samples of distill4j's sampler (stdin: `jfr print --json`) into the categories of a decoding step.

A sample counts when its stack passes through the sampler (Sampler / StepDecoder); it is put in a category by the
innermost distill4j frame and, for native frames, the libtorch call it is in (PyTorchLibrary.torchX).
"""
import collections
import json
import sys

CATEGORIES = [
    ("projections (q/k/v, o, gate/up, down, LM head)", lambda m, op: op == "torchNNLinear"),
    ("attention products (q·Kᵀ, p·V)", lambda m, op: m.startswith("Attention.") and op == "torchMatmul"),
    ("attention mask + softmax", lambda m, op: m.startswith("Attention.apply") and op in ("torchAdd", "torchSoftmax")),
    ("sampling (log-softmax, inverse CDF, log-probs)", lambda m, op: m.startswith("StepDraws.") or m.startswith("TopLogprobs.")),
    ("KV cache (write, copy, allocate)", lambda m, op: m.startswith("KvCache.")),
    ("norms (RMSNorm)", lambda m, op: m.startswith("Ops.rms") or m.startswith("Ops.norm")),
    ("rotary embedding", lambda m, op: m.startswith("Attention.turn") or m.startswith("Attention.rotate")
        or m.startswith("Transformer.rotation")),
    ("SiLU gating", lambda m, op: m.startswith("Transformer.ffn") or m.startswith("Ops.activation")),
    ("masks and ids built in Java", lambda m, op: m.startswith("DecodeMasks.") or m.startswith("AttentionMask.")),
]

OTHER = "other ops (reshape, split, residual adds, embedding; per-op dispatch) and Java"

events = json.load(sys.stdin)["recording"]["events"]
counts = collections.Counter()
total = 0
for e in events:
    st = e["values"].get("stackTrace")
    if not st:
        continue
    frames = st["frames"]
    names = [f["method"]["type"]["name"].split("/")[-1] + "." + f["method"]["name"] for f in frames]
    if not any(n.startswith("Sampler.") or n.startswith("StepDecoder.") for n in names):
        continue
    total += 1
    op = names[0].split(".", 1)[1] if names[0].startswith("PyTorchLibrary.") else ""
    ours = next((n for f, n in zip(frames, names) if "distill4j" in f["method"]["type"]["name"]), "")
    for label, test in CATEGORIES:
        if test(ours, op):
            counts[label] += 1
            break
    else:
        counts[OTHER] += 1
print(f"| part of the step | share of the sampler's time |")
print(f"|---|---|")
for label, _ in CATEGORIES + [(OTHER, None)]:
    print(f"| {label} | {100.0 * counts[label] / max(total, 1):.1f} % |")
print(f"\n{total} samples of 1 ms")
