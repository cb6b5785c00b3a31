"""How close to the GEMM floor can a decoder built on PyTorch's CPU kernels get? (#23)

  /tmp/ref/bin/python tools/profile/engine_ceiling.py [--shapes small,medium] [--rounds 3]

`distill bench generate` reports its speed as a fraction of its GEMM floor: the projections of its run timed alone.
This script asks the same question of the leanest decoders PyTorch itself offers, on the same workload (BenchShape's
llama shapes; 64 prompts of 16 random tokens prefilled at once, then 64 new tokens per row, temperature-1 sampling by
inverse CDF; 2 threads), each against a floor measured in the same process and round:
  - eager:    a minimal forward pass: one fused RMSNorm call, one q/k/v and one gate/up product, rotate-half rotary,
              the cache written in place, PyTorch's fused scaled_dot_product_attention, batched sampling;
  - script:   the same function compiled by torch.jit.script, run by the TorchScript interpreter. This is what DJL can
              run (moduleLoad/moduleRunMethod): one call per pass instead of one per op;
  - compiled: the same function compiled by torch.compile (Inductor): element-wise chains fused into generated C++
              loops. DJL cannot run this; it bounds what fusion can buy.
The floor is GemmFloor.secondsInPassOrder's: the prefill's pass (every layer's q/k/v, o, gate/up and down on its own
weights for all prompt tokens, the head on the last) and 63 decoding passes. A round interleaves --trials timings of
the floor and of each decoder (one whole generation) and keeps the best of each; fraction = floor / generation.
The line "products+attention alone" bounds every decoder on these kernels: the floor plus the decoding steps'
attention over the cache timed alone (the faster of the fused kernel and batched products; not in the floor, and no
decoder can skip it), as if nothing else in a step cost anything.
Prints one JSON line per (shape, round, decoder), to set beside `distill bench generate`'s pass_order_floor_fraction.
"""
import argparse, json, math, time
from typing import List, Tuple

import torch
import torch.nn.functional as F

SHAPES = {  # name: (hidden, layers, heads, intermediate, vocab), as org.distill4j.bench.BenchShape
    "small": (256, 4, 4, 688, 4096),
    "medium": (512, 8, 8, 1376, 8192),
}
ROWS, PROMPT, NEW = 64, 16, 64


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.size(-1) // 2
    return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin


def forward(tok: torch.Tensor, t: int, qkv: List[torch.Tensor], o: List[torch.Tensor], gate_up: List[torch.Tensor],
         down: List[torch.Tensor], norm1: List[torch.Tensor], norm2: List[torch.Tensor], keys: List[torch.Tensor],
         values: List[torch.Tensor], emb: torch.Tensor, final_norm: torch.Tensor, cos: torch.Tensor,
         sin: torch.Tensor, uniform: torch.Tensor, heads: int, prefill: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    """Runs tok [rows, n] at positions t..t+n-1 (the prefill: t = 0, causal within tok), writes their keys and values
    into the cache, and samples the next token from the last position's logits."""
    rows, n = tok.size(0), tok.size(1)
    hidden = emb.size(1)
    dim = hidden // heads
    h = F.embedding(tok, emb)
    c = cos[t:t + n].view(1, 1, n, dim)
    s = sin[t:t + n].view(1, 1, n, dim)
    for i in range(len(qkv)):
        a = F.rms_norm(h, [hidden], norm1[i], 1e-6)
        x = F.linear(a, qkv[i]).view(rows, n, 3, heads, dim).permute(2, 0, 3, 1, 4)
        q = rotate(x[0], c, s)
        keys[i][:, :, t:t + n] = rotate(x[1], c, s)
        values[i][:, :, t:t + n] = x[2]
        att = F.scaled_dot_product_attention(q, keys[i][:, :, :t + n], values[i][:, :, :t + n], is_causal=prefill)
        h = h + F.linear(att.transpose(1, 2).reshape(rows, n, hidden), o[i])
        a = F.rms_norm(h, [hidden], norm2[i], 1e-6)
        g, u = F.linear(a, gate_up[i]).chunk(2, -1)
        h = h + F.linear(F.silu(g) * u, down[i])
    logits = F.linear(F.rms_norm(h[:, -1], [hidden], final_norm, 1e-6), emb)
    probs = torch.softmax(logits, -1)
    nxt = torch.searchsorted(probs.cumsum(-1), uniform).clamp_max(probs.size(1) - 1)
    return nxt, torch.log_softmax(logits, -1).gather(1, nxt)


class Model:
    def __init__(self, shape: str):
        hidden, layers, heads, inter, vocab = SHAPES[shape]
        g = torch.Generator().manual_seed(0)

        def w(rows, cols):
            return torch.randn(rows, cols, generator=g) / math.sqrt(cols)

        self.heads, self.vocab, self.hidden, self.inter = heads, vocab, hidden, inter
        self.qkv = [w(3 * hidden, hidden) for _ in range(layers)]
        self.o = [w(hidden, hidden) for _ in range(layers)]
        self.gate_up = [w(2 * inter, hidden) for _ in range(layers)]
        self.down = [w(hidden, inter) for _ in range(layers)]
        self.norm1 = [torch.ones(hidden) for _ in range(layers)]
        self.norm2 = [torch.ones(hidden) for _ in range(layers)]
        self.emb, self.final_norm = w(vocab, hidden), torch.ones(hidden)
        dim, total = hidden // heads, PROMPT + NEW
        inv = 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim))
        angles = torch.arange(total).float()[:, None] * inv[None]
        self.cos = torch.cat([angles.cos(), angles.cos()], -1)
        self.sin = torch.cat([angles.sin(), angles.sin()], -1)
        self.keys = [torch.zeros(ROWS, heads, total, dim) for _ in range(layers)]
        self.values = [torch.zeros(ROWS, heads, total, dim) for _ in range(layers)]
        self.prompts = torch.randint(0, vocab, (ROWS, PROMPT), generator=g)
        self.floor_inputs = [(torch.randn(rows, hidden, generator=g), torch.randn(rows, inter, generator=g),
                              torch.randn(ROWS, hidden, generator=g)) for rows in (ROWS * PROMPT, ROWS)]

    def floor(self) -> float:
        """Seconds the run's projections take alone: the prefill's pass (every layer on all prompt tokens, the head on
        the last) and NEW - 1 decoding passes, as GemmFloor.generatePasses counts them."""
        seconds = 0.0
        for (x, xi, last), repeats in zip(self.floor_inputs, (1, NEW - 1)):
            def once():
                for i in range(len(self.qkv)):
                    F.linear(x, self.qkv[i]); F.linear(x, self.o[i])
                    F.linear(x, self.gate_up[i]); F.linear(xi, self.down[i])
                F.linear(last, self.emb)
            seconds += repeats * seconds_per_run(once, 10)
        return seconds

    def attention(self) -> float:
        """Seconds the decoding steps' attention over the cache takes alone: every layer's queries against the keys and
        values cached so far, with the faster of the engine's two kernels for one query (PyTorch's fused
        scaled_dot_product_attention, or a batched product, a softmax and a batched product)."""
        q = torch.randn(ROWS, self.heads, 1, self.hidden // self.heads)

        def fused():
            for t in range(PROMPT, PROMPT + NEW - 1):
                for k, v in zip(self.keys, self.values):
                    F.scaled_dot_product_attention(q, k[:, :, :t + 1], v[:, :, :t + 1])

        def products():
            for t in range(PROMPT, PROMPT + NEW - 1):
                for k, v in zip(self.keys, self.values):
                    torch.matmul(torch.softmax(torch.matmul(q, k[:, :, :t + 1].transpose(-1, -2)), -1), v[:, :, :t + 1])

        return min(seconds_per_run(fused, 1), seconds_per_run(products, 1))

    def generate(self, fn, seed: int):
        """The prompts' prefill, then a token per row per step: NEW tokens per row."""
        g = torch.Generator().manual_seed(seed)
        tok, t = self.prompts, 0
        for _ in range(NEW):
            nxt, _ = fn(tok, t, self.qkv, self.o, self.gate_up, self.down, self.norm1, self.norm2, self.keys,
                        self.values, self.emb, self.final_norm, self.cos, self.sin,
                        torch.rand(ROWS, 1, generator=g), self.heads, t == 0)
            t += tok.size(1)
            tok = nxt


def compiled():
    """torch.compile of forward, one compilation for the prefill and one for the decoding steps, each with its
    own guards, so that the steps' code is specialised for one token per row."""
    prefill, step = torch.compile(forward, dynamic=True), torch.compile(forward, dynamic=True)
    return lambda tok, *rest: (prefill if tok.size(1) > 1 else step)(tok, *rest)


def seconds_per_run(fn, reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default="small,medium")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--trials", type=int, default=6, help="interleaved timings per round; each figure is their best")
    args = ap.parse_args()
    torch.set_num_threads(2)
    for shape in args.shapes.split(","):
        model = Model(shape)
        decoders = {"eager": forward, "script": torch.jit.script(forward), "compiled": compiled()}
        with torch.no_grad():
            for fn in decoders.values():  # compile, let the TorchScript profiling executor settle, warm the caches
                for _ in range(3):
                    model.generate(fn, 0)
            for r in range(args.rounds):
                names = list(decoders)
                names = names[r % len(names):] + names[:r % len(names)]  # alternate which decoder goes first
                floor, attention, seconds = math.inf, math.inf, {name: math.inf for name in names}
                for _ in range(args.trials):  # interleaved, so that the VM's drift reaches the floor and every decoder
                    floor = min(floor, model.floor())
                    attention = min(attention, model.attention())
                    for name in names:
                        seconds[name] = min(seconds[name], seconds_per_run(lambda: model.generate(decoders[name], r), 1))
                for name in names:
                    print(json.dumps({"shape": shape, "round": r + 1, "decoder": name,
                                      "tok_s": round(ROWS * NEW / seconds[name]), "floor_tok_s": round(ROWS * NEW / floor),
                                      "floor_fraction": round(floor / seconds[name], 3)}), flush=True)
                print(json.dumps({"shape": shape, "round": r + 1, "decoder": "products+attention alone",
                                  "tok_s": round(ROWS * NEW / (floor + attention)), "floor_tok_s": round(ROWS * NEW / floor),
                                  "floor_fraction": round(floor / (floor + attention), 3),
                                  "attention_ms": round(attention * 1e3, 1), "floor_ms": round(floor * 1e3, 1)}), flush=True)

if __name__ == "__main__":
    main()
