"""Checks that checkpoints saved by distill4j load in Hugging Face transformers and give the same logits.

  mvn -q -o test -Dtest='HfExportTest,FamilyParityTest'   # write target/hf-export/<case>/ (checkpoint + java_logits.safetensors)
  /tmp/ref/bin/python tools/check_hf_load.py target/hf-export
Exits non-zero if any case differs by more than 1e-4 (max abs). Models load with eager attention, transformers'
reference path: its SDPA path leaves out Gemma 2's attention soft-capping.
"""
import os, sys
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

root = sys.argv[1] if len(sys.argv) > 1 else "target/hf-export"
worst = 0.0
for case in sorted(os.listdir(root)):
    d = os.path.join(root, case)
    ref = load_file(os.path.join(d, "java_logits.safetensors"))
    model = AutoModelForCausalLM.from_pretrained(d, attn_implementation="eager").eval()
    with torch.no_grad():
        logits = model(input_ids=ref["input_ids"]).logits
    diff = (logits - ref["logits"]).abs().max().item()
    worst = max(worst, diff)
    print(f"{case}: {type(model).__name__} loaded, max |logits_hf - logits_java| = {diff:.2e}")
print("OK" if worst < 1e-4 else "MISMATCH")
sys.exit(0 if worst < 1e-4 else 1)
