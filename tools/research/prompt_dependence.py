"""How much a lab's oracle answers depend on their prompts (embedded task).

Reads RUN_DIR/data/oracle.jsonl (the oracle's answers, stage 1) and RUN_DIR/data/grammar.jsonl (the grammar's
own samples, stage 0) and prints, for each and for the oracle's answers paired with shuffled prompts (chance):
  - the fraction of the nouns in a response that are items of its prompt (1 for the grammar);
  - the fraction of the nouns in a response that belong to its prompt's topic (1 for the grammar; the topics
    are read off the grammar's prompts, whose items share one topic);
  - the fraction of responses that mention as many nouns as the prompt has items.
Run: python3 tools/research/prompt_dependence.py runs/demo
"""
import json
import random
import sys
from pathlib import Path


def items(prompt):
    return [item.split()[-1] for item in prompt[len("describe : "):-2].split(" , ")]


def topics(grammar):
    """Noun -> topic id: nouns named in one prompt share a topic (connected components)."""
    parent = {}

    def root(n):
        while parent.setdefault(n, n) != n:
            n = parent[n]
        return n

    for r in grammar:
        first, *rest = items(r["prompt"])
        for n in rest:
            parent[root(n)] = root(first)
    return {n: root(n) for n in parent}


def stats(rows, topic):
    in_prompt = in_topic = total = same_count = 0
    for r in rows:
        wanted = items(r["prompt"])
        said = [w for w in r["response"].split() if w in topic]
        total += len(said)
        in_prompt += sum(w in wanted for w in said)
        in_topic += sum(topic[w] == topic[wanted[0]] for w in said)
        same_count += len(said) == len(wanted)
    return in_prompt / max(total, 1), in_topic / max(total, 1), same_count / len(rows)


def main():
    data = Path(sys.argv[1]) / "data"
    oracle = [json.loads(l) for l in open(data / "oracle.jsonl")]
    grammar = [json.loads(l) for l in open(data / "grammar.jsonl")]
    topic = topics(grammar)
    shuffled = [dict(prompt=a["prompt"], response=b["response"])
                for a, b in zip(oracle, random.Random(0).sample(oracle, len(oracle)))]
    for name, rows in [("grammar samples", grammar), ("oracle answers", oracle),
                       ("oracle answers, shuffled prompts", shuffled)]:
        noun_share, topic_share, count = stats(rows, topic)
        print(f"{name:34s} nouns that are prompt items {noun_share:.3f}   of the prompt's topic {topic_share:.3f}"
              f"   noun count = item count {count:.3f}")


if __name__ == "__main__":
    main()
