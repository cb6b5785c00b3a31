"""Does a prompt-dependent choice make the low-diversity dataset hack more? A memorisation model.

Why the demo's low-diversity variant (P/f prompts x G*f generations) does not hack more than the diverse
dataset (P x G) is discussed in docs/teacher-hacking-lab.md. One candidate fix is a task whose choices depend
on the prompt, e.g. a verb distribution per noun. This script checks that candidate in the simplest model of
offline distillation that hacks: per noun, the student ends at a blend of its initial distribution and the
empirical distribution of the teacher's verbs for that noun in the offline set,
    s_n = (counts_n + c * s0_n) / (|counts_n| + c),
where c is how much of its start the student keeps (c -> 0: it memorises the set). The golden metric is the
mean over nouns of KL(oracle_n || s_n). Prompts are the embedded task's: 3-8 distinct nouns out of 60.

Run: python3 tools/research/diversity_sim.py  (numpy only; prints one line per setting)
"""
import numpy as np

NOUNS, VERBS, TRIALS = 60, 8, 400


def kl(p, q):
    return (p * np.log(p / q)).sum(-1)


def golden(rng, oracle, teacher, start, c, prompts, generations):
    counts = np.zeros((NOUNS, VERBS))
    for _ in range(prompts):
        for noun in rng.choice(NOUNS, rng.integers(3, 9), replace=False):
            counts[noun] += rng.multinomial(generations, teacher[noun])
    student = (counts + c * start) / (counts.sum(1, keepdims=True) + c)
    return kl(oracle, student).mean()


def main():
    rng = np.random.default_rng(0)
    P, G, f = 64, 2, 2.5
    for alpha in (0.5, 2.0):          # Dirichlet concentration of the per-noun verb distributions
        for c in (1, 4, 16):
            diffs = []
            for _ in range(TRIALS):
                oracle = rng.dirichlet([alpha] * VERBS, size=NOUNS)
                teacher = 0.7 * oracle + 0.3 * rng.dirichlet([alpha] * VERBS, size=NOUNS)  # its own quirks
                start = 0.5 * oracle + 0.5 * rng.dirichlet([alpha] * VERBS, size=NOUNS)    # further off
                diverse = golden(rng, oracle, teacher, start, c, P, G)
                low = golden(rng, oracle, teacher, start, c, round(P / f), round(G * f))
                diffs.append(low - diverse)
            d = np.array(diffs)
            print(f"alpha {alpha:3.1f}  c {c:2d}:  golden(low diversity) - golden(diverse) = "
                  f"{d.mean():+.4f} +- {d.std() / np.sqrt(TRIALS):.4f} nats per noun")


if __name__ == "__main__":
    main()
