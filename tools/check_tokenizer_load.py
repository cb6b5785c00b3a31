"""Checks that the tokenizer files distill4j saves load in transformers and can pad a batch.

  mvn -q -o test -Dtest=TokenizerConfigTest      # writes target/tokenizer-export/<case>/
  /tmp/ref/bin/python tools/check_tokenizer_load.py target/tokenizer-export
Exits non-zero if a case does not load, has no pad token, or pads wrongly.
"""
import os
import sys

from transformers import AutoTokenizer

root = sys.argv[1] if len(sys.argv) > 1 else "target/tokenizer-export"
ok = True
for case in sorted(os.listdir(root)):
    tok = AutoTokenizer.from_pretrained(os.path.join(root, case))
    batch = tok(["a b c", "a"], padding=True)
    lengths = {len(r) for r in batch["input_ids"]}
    good = tok.pad_token is not None and len(lengths) == 1 and batch["attention_mask"][1].count(0) > 0
    line = (f"{case}: {type(tok).__name__}, bos={tok.bos_token!r} eos={tok.eos_token!r} pad={tok.pad_token!r}, "
            f"padded to {lengths}, chat template: {'yes' if tok.chat_template else 'no'}")
    if tok.chat_template:
        line += ", renders " + repr(tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False,
                                                            add_generation_prompt=True))
    print(line + ("" if good else "  <-- FAILED"))
    ok &= good
print("OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
