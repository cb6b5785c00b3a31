#!/usr/bin/env bash
# Where a decoding step's time goes: runs `distill bench generate` on one shape under Java Flight Recorder (stacks
# sampled every millisecond, native frames included) and prints the time of the sampler's stacks by category.
# usage: tools/profile/decode-profile.sh small|medium [reps]     (needs python3; nothing else beyond the JDK)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shape="${1:?shape: small or medium}"
reps="${2:-10}"
source "$root/tools/find-jdk.sh"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cat > "$out/settings.jfc" <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0">
  <event name="jdk.ExecutionSample"><setting name="enabled">true</setting><setting name="period">1 ms</setting></event>
  <event name="jdk.NativeMethodSample"><setting name="enabled">true</setting><setting name="period">1 ms</setting></event>
</configuration>
JFC
DISTILL_JAVA_OPTS="-Xmx8g -XX:StartFlightRecording=filename=$out/run.jfr,settings=$out/settings.jfc" \
  "$root/distill" bench generate --shapes "$shape" --reps "$reps" 2>/dev/null | grep '"workload":"generate"'
"$JAVA_HOME/bin/jfr" print --events jdk.NativeMethodSample,jdk.ExecutionSample --stack-depth 40 --json "$out/run.jfr" \
  | python3 "$here/decode_profile.py"
