"""transformers' side of `distill bench real`: the same phases on the same checkpoint, in this process.

  /tmp/ref/bin/python tools/real_peer.py --dir runs/bench-real/smollm2-360m --name SmolLM2-360M [--skip-train]
(./distill bench real --config FILE --peer-python /tmp/ref/bin/python runs it with the config's settings.)
Prints one JSON line per phase with the fields of org.distill4j.bench.RealBench.Measurement. The model is loaded in
float32 (as distill4j computes), eager attention; 2 threads, like shared/bench/pytorch_peer.py. Peak RSS per phase:
the kernel's high-water mark (VmHWM), reset before each phase through /proc/self/clear_refs.
"""
import argparse, gc, json, time
import torch
from transformers import AutoModelForCausalLM


def rss(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024.0
    return -1.0


def phase_start():
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return rss("VmRSS:")


def emit(args, phase, seconds, tok_s, before, note):
    print(json.dumps({"model": args.name, "impl": "transformers", "phase": phase, "seconds": round(seconds, 3),
                      "tokens_per_second": round(tok_s, 1), "rss_before_mb": round(before, 1),
                      "peak_rss_mb": round(rss("VmHWM:"), 1), "note": note}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--prompts", type=int, default=8)
    p.add_argument("--prompt-tokens", type=int, default=32)
    p.add_argument("--new-tokens", type=int, default=128)
    p.add_argument("--train-batch", type=int, default=4)
    p.add_argument("--train-seq", type=int, default=512)
    p.add_argument("--train-steps", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip-train", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)

    before = phase_start()
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(args.dir, dtype=torch.float32, attn_implementation="eager").eval()
    n = sum(p.numel() for p in model.parameters())
    emit(args, "load", time.perf_counter() - t0, 0, before, f"f32 weights {n * 4 / 2**20:.0f} MiB")

    vocab = model.config.get_text_config().vocab_size
    prompts = torch.randint(1, vocab, (args.prompts, args.prompt_tokens))  # 0 is the padding id below
    kw = dict(do_sample=True, temperature=1.0, top_k=0, pad_token_id=0, eos_token_id=None)
    with torch.no_grad():
        model.generate(prompts, max_new_tokens=2, min_new_tokens=2, **kw)  # warm-up
        before = phase_start()
        t0 = time.perf_counter()
        model.generate(prompts, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens, **kw)
        s = time.perf_counter() - t0
    emit(args, "generate", s, args.prompts * args.new_tokens / s, before,
         f"{args.prompts} prompts x {args.prompt_tokens} tokens, {args.new_tokens} new tokens each, temperature 1, KV cache")

    if args.skip_train:
        return
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    x = torch.randint(0, vocab, (args.train_batch, args.train_seq + 1))
    before = phase_start()
    times = []
    for _ in range(args.train_steps):
        t0 = time.perf_counter()
        logits = model(input_ids=x[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), x[:, 1:].flatten())
        loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t0)
        del logits, loss
    emit(args, "train_step", times[-1], args.train_batch * args.train_seq / times[-1], before,
         f"batch {args.train_batch} x {args.train_seq}, cross-entropy, backward, AdamW; the last of {args.train_steps} steps "
         f"(s: {', '.join(f'{t:.1f}' for t in times)})")


if __name__ == "__main__":
    main()
