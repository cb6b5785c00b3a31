#!/usr/bin/env bash
# Training soak: runs `distill sft` on the embedded task (the demo oracle's shape: hidden 128, 3 layers, batch 32)
# for a wall-time budget, then reports how it ended (exit code, any hs_err_pid*.log) and the live arrays and RSS
# over the run from its metrics.jsonl. Usage: tools/soak.sh [MINUTES=30] [DIR=runs/soak] [HIDDEN=128 LAYERS=3 BATCH=32]
# (a smaller model, e.g. 64 2 16, takes more steps, so more backward passes, in the same time)
# The jar is copied first, so rebuilding the project meanwhile cannot disturb the running JVM.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="${1:-30}"
dir="$(mkdir -p "${2:-$here/runs/soak}" && cd "${2:-$here/runs/soak}" && pwd)"
hidden="${3:-128}" layers="${4:-3}" batch="${5:-32}"
"$here/distill" --version >/dev/null # builds the jar if the sources are newer
rm -rf "$dir/jar" "$dir/run" && mkdir -p "$dir/jar" && cp -r "$here/target/distill4j.jar" "$here/target/lib" "$dir/jar/"
source "$here/tools/find-jdk.sh"
java=("$JAVA_HOME/bin/java" -Xmx8g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$(nproc)" -Dai.djl.pytorch.num_interop_threads=1
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn --enable-native-access=ALL-UNNAMED -XX:ErrorFile="$dir/hs_err_pid%p.log"
      -jar "$dir/jar/distill4j.jar")
"${java[@]}" task --n 20000 --seed 1 --out "$dir/train.jsonl" --tokenizer-out "$dir/tokenizer.json"
"${java[@]}" task --n 256 --split validation --out "$dir/val.jsonl"
vocab=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['model']['vocab']))" "$dir/tokenizer.json")
cat > "$dir/config.json" <<JSON
{"model_type": "llama", "vocab_size": $vocab, "hidden_size": $hidden, "intermediate_size": $((hidden * 3)), "num_hidden_layers": $layers,
 "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
 "rope_theta": 10000.0, "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}
JSON
start=$(date +%s)
set +e
timeout -s KILL "$((minutes * 60))" "${java[@]}" sft --init "$dir/config.json" --tokenizer "$dir/tokenizer.json" \
  --data "$dir/train.jsonl" --val "$dir/val.jsonl" --out "$dir/run" --max-steps 1000000 --batch-size "$batch" --lr 3e-3 \
  --final-lr 3e-4 --lr-warmup-steps 50 --eval-every 100 --log-every 100 --save-every 500 2> "$dir/sft.log"
code=$?
set -e
elapsed=$(( $(date +%s) - start ))
echo "soak: $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); $elapsed s; exit code $code (137 = stopped by the time limit)"
ls "$dir"/hs_err_pid*.log 2>/dev/null && echo "soak: JVM CRASH (see the hs_err file above)" || echo "soak: no JVM crash"
python3 - "$dir/run/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if "live_arrays" in r]
if not rows:
    sys.exit("soak: no metrics rows")
first, last = rows[0], rows[-1]
mid = rows[len(rows) // 2]
print(f"soak: {last['step']} steps; live arrays {first['live_arrays']} (step {first['step']}) -> {mid['live_arrays']} (step {mid['step']}) -> {last['live_arrays']} (step {last['step']}); "
      f"RSS {first['rss_mb']} -> {mid['rss_mb']} -> {last['rss_mb']} MB; val_loss {last.get('val_loss', float('nan')):.3f}")
PY
