"""Small tokenizers with the real pipelines of SentencePiece and byte-level models, and the text the tokenizers
library gives for them, for TokenizerDecodeTest and TokenTextTest.

  /tmp/ref/bin/python tools/tokenizer_fixtures.py

Writes src/test/resources/fixtures/tokenizers/<name>/tokenizer.json and expected.json. The vocabularies are BPEs
trained here on CORPUS (real tokenizer.json files are megabytes); what the tests are about (where spaces go when a
continuation is decoded) comes from the normalizer / pre-tokenizer / decoder, which are the published ones:
  sp_llama2     Llama-2's tokenizer.json (Prepend + Replace normalizer, no pre-tokenizer, decoder Replace ▁,
                ByteFallback, Fuse, Strip one leading space), byte fallback tokens <0x00>..<0xFF>
  sp_metaspace  transformers 5's conversion of SentencePiece models (Metaspace, prepend_scheme "first")
  byte_level    GPT-2's (ByteLevel pre-tokenizer and decoder, no prefix space)
expected.json holds, per text, the ids and decoded text, and per continuation the tokens a model would generate
after a prompt with the text transformers' streamers and vLLM give for them: decode(prompt + generated) minus
decode(prompt), and the same for each token and for alternatives at a position (top_logprobs keys).
"""
import json
import os

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "fixtures", "tokenizers")
CORPUS = [
    "Once upon a time there was a happy frog who lived in a pond.",
    "The frog liked to jump and swim in the water every day.",
    "One day the frog met a little bird who sang a song.",
    "They became friends and played together in the sun.",
    "In 2024 the pond had 17 frogs, 3 birds and 125 fish.",
    "The café served crème brûlée to a naïve visitor from Zürich.",
    "Über den Wolken: 東京 and 北京 are cities; emoji 🐸 too.",
    "  Leading spaces,\ttabs and\nnew lines stay as they are.  ",
]
TEXTS = CORPUS + ["happy frog who lived", " who", "frog2024 x  y", "ünïcödé 数字 99", ""]
CONTINUATIONS = [
    ("Once upon a time there was a happy frog", " who lived in a pond."),
    ("The frog liked to", " jump and swim"),
    ("In 2024 the pond had", " 17 frogs"),
    ("The café served", " crème brûlée"),
    ("Über den Wolken:", " 東京 and 🐸"),
]
SPECIALS = ["<unk>", "<s>", "</s>"]


def sentencepiece(variant):
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    # trained split at spaces, as SentencePiece (split_by_whitespace) never merges across a word start
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    alphabet = sorted({c for line in CORPUS for c in line.replace(" ", "▁")} | {"▁"})
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=260, special_tokens=SPECIALS,
                                                        initial_alphabet=alphabet, show_progress=False))
    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    for b in range(256):  # byte fallback pieces, as in Llama's vocabulary
        vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    if variant == "sp_llama2":
        spec["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                                                  {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
        spec["pre_tokenizer"] = None
        spec["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
            {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    else:
        spec["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
        spec["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    return tok


def byte_level():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                        show_progress=False))
    return tok


def diff(tok, prefix, ids, skip):
    """decode(prefix + ids) minus decode(prefix): a continuation's text, as transformers/vLLM stream it. When the
    prefix ends inside a character (byte-level BPE), its replacement character is not part of the common text."""
    before = tok.decode(prefix, skip_special_tokens=skip)
    after = tok.decode(prefix + ids, skip_special_tokens=skip)
    common = 0
    while common < min(len(before), len(after)) and before[common] == after[common]:
        common += 1
    return after[common:]


def expected(tok, texts=TEXTS, continuations=CONTINUATIONS):
    texts = [{"text": t, "ids": tok.encode(t).ids, "decoded": tok.decode(tok.encode(t).ids)} for t in texts]
    conts = []
    for prompt, continuation in continuations:
        p = tok.encode(prompt).ids
        full = tok.encode(prompt + continuation).ids
        assert full[:len(p)] == p, (prompt, continuation)
        gen = full[len(p):]
        alternatives = sorted({gen[0], tok.token_to_id("▁the") or 5, tok.token_to_id("Ġthe") or 6, 7, 40})
        conts.append({
            "prompt": prompt, "prompt_ids": p, "generated_ids": gen,
            "text": diff(tok, p, gen, True),
            "decoded_alone": tok.decode(gen),
            "pieces": [diff(tok, full[:len(p) + j], [gen[j]], False) for j in range(len(gen))],
            "alternatives": alternatives,
            "alternative_pieces": [diff(tok, p, [a], False) for a in alternatives],
        })
    return {"texts": texts, "continuations": conts}


def main():
    for name, tok in (("sp_llama2", sentencepiece("sp_llama2")), ("sp_metaspace", sentencepiece("sp_metaspace")),
                      ("byte_level", byte_level())):
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        tok.save(os.path.join(d, "tokenizer.json"))
        e = expected(tok)
        with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as f:
            json.dump(e, f, ensure_ascii=False, indent=1)
            f.write("\n")
        c = e["continuations"][0]
        print(f"{name}: vocab {tok.get_vocab_size()}, '{c['prompt']}' + {c['text']!r} (alone: {c['decoded_alone']!r})")


if __name__ == "__main__":
    main()
