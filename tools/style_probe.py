"""Can the lab's oracle learn a prompt dependence simpler than copying? (embedded task; docs/teacher-hacking-lab.md)

The "style" variant of the task: every verb of a response is, with p = 0.8, the one verb of its noun class
that the prompt's FIRST noun prefers (a fixed hash), else uniform over the class. In the grammar's own
samples 82.5 % of the verbs are then the preferred one; a model that ignores the prompt gets 12.5 %.

  python3 tools/style_probe.py style IN.jsonl OUT.jsonl SEED   # restyle {prompt, response} records
  python3 tools/style_probe.py follow GEN.jsonl                # fraction of verbs that follow the style

Usage, as measured in the docs (tok.json and the oracle's config.json from a demo run):
  ./distill task --n 6000 --out g.jsonl && python3 tools/style_probe.py style g.jsonl gs.jsonl 1
  ./distill task --n 300 --split validation --out v.jsonl --prompts-only
  ./distill sft --init runs/demo/oracle/config.json --tokenizer runs/demo/tokenizer.json --data gs.jsonl \
      --out oracle-style --max-steps 1200 --batch-size 32 --lr 3e-3 --warmup-steps 50
  ./distill generate --model oracle-style --prompts v.jsonl --temperature 1 --out gen.jsonl
  python3 tools/style_probe.py follow gen.jsonl
"""
import hashlib
import json
import random
import sys

VERBS = [["runs", "sleeps", "jumps", "eats", "sings", "hides", "hunts", "waits"],
         ["shines", "breaks", "falls", "rolls", "rests", "spins", "rings", "stays"],
         ["grows", "blooms", "sways", "wilts", "climbs", "spreads", "bends", "thrives"]]
CLASS_OF = {v: k for k, vs in enumerate(VERBS) for v in vs}
P_PREFERRED = 0.8


def first_noun(prompt):
    return prompt.split()[3]  # describe : ADJ NOUN , ...


def preferred(noun, noun_class):
    h = int(hashlib.md5(f"{noun}/{noun_class}".encode()).hexdigest(), 16)
    return VERBS[noun_class][h % len(VERBS[noun_class])]


def restyle(record, rng):
    n0 = first_noun(record["prompt"])
    words = []
    for w in record["response"].split(" "):
        if w in CLASS_OF:
            k = CLASS_OF[w]
            w = preferred(n0, k) if rng.random() < P_PREFERRED else rng.choice(VERBS[k])
        words.append(w)
    return {"prompt": record["prompt"], "response": " ".join(words)}


def follow_rate(rows):
    verbs = hits = 0
    for r in rows:
        n0 = first_noun(r["prompt"])
        for w in r["response"].split():
            if w in CLASS_OF:
                verbs += 1
                hits += preferred(n0, CLASS_OF[w]) == w
    return hits, verbs


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "style":
        rng = random.Random(int(sys.argv[4]))
        with open(sys.argv[2]) as src, open(sys.argv[3], "w") as dst:
            for line in src:
                dst.write(json.dumps(restyle(json.loads(line), rng)) + "\n")
    elif len(sys.argv) == 3 and sys.argv[1] == "follow":
        with open(sys.argv[2]) as f:
            hits, verbs = follow_rate(json.loads(line) for line in f)
        print(f"{hits}/{verbs} = {hits / max(verbs, 1):.3f} of the verbs follow the first noun's style "
              f"(the styled grammar: 0.825; ignoring the prompt: 0.125)")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
