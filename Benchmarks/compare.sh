#!/usr/bin/env bash
# Builds the benchmark in release, checks that our engine, swift-mustache 2.1.1,
# a hand-written Swift renderer and Jinja2 produce identical output, times each
# on one core, and ends with one line:
#   ratio vs_jinja2=X vs_swift_mustache=Y vs_handwritten=Z
# (how many times faster ours is; below 1 means slower).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
iterations="${ITERATIONS:-100000}"
jinja_iterations="${JINJA_ITERATIONS:-30000}"

python3 -c 'import jinja2' 2>/dev/null || python3 -m pip install --quiet 'Jinja2==3.1.6'
swift build -c release --product SynopticBenchmarks >/dev/null
bin="$(swift build -c release --show-bin-path)/SynopticBenchmarks"

# One core, when taskset exists, so the figures compare like with like.
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for engine in ours swift-mustache handwritten; do
  "$bin" --resources Resources --print "$engine" >"$out/$engine.txt"
done
python3 peers/jinja2_render.py --resources Resources --print >"$out/jinja2.txt"
for engine in swift-mustache handwritten jinja2; do
  if ! cmp -s "$out/ours.txt" "$out/$engine.txt"; then
    echo "output of $engine differs from ours:" >&2
    diff "$out/ours.txt" "$out/$engine.txt" >&2 || true
    exit 1
  fi
done
echo "outputs identical: $(wc -l <"$out/ours.txt") lines, $(wc -c <"$out/ours.txt") bytes"

results="$("${pin[@]}" "$bin" --resources Resources --iterations "$iterations")"
results+=$'\n'"$("${pin[@]}" python3 peers/jinja2_render.py --resources Resources --iterations "$jinja_iterations")"
echo "$results"

rate() { echo "$results" | sed -n "s/^$1 renders_per_second=\([0-9]*\).*/\1/p"; }
ours=$(rate ours)
python3 - "$ours" "$(rate jinja2)" "$(rate swift-mustache)" "$(rate handwritten)" <<'PY'
import sys
ours, jinja, mustache, hand = (float(x) for x in sys.argv[1:])
print(f"ratio vs_jinja2={ours / jinja:.2f} vs_swift_mustache={ours / mustache:.2f} vs_handwritten={ours / hand:.2f}")
PY
