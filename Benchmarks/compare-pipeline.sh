#!/usr/bin/env bash
# The full pipeline against a Python peer (peers/pipeline.py: json, the rules
# ported to Python, Jinja2 for text and HTML, lxml for our report XML), on one
# generated corpus (CORPUS_SIZE cases, default 20000), one core each.
#
# 1. Both write text, HTML and XML for every case; every output file must be
#    byte-identical (not a sample: all of them), or the script fails.
# 2. Times each (best of RUNS, default 1, the runs taking turns) pinned to one
#    core, outputs to /dev/shm when it exists, each run into an empty scratch
#    directory, and ours once more with CDA added (the peer has no CDA).
# Ends with one line:
#   pipeline vs_python=X cases_per_s=Y
# X: how many times faster ours is than the peer for the same job (text, HTML
# and XML), Y: our cases per second for it.
#
# CHECK_ONLY=1 SYNOPTIC_BIN=path: only step 1, with that binary (CI runs a
# small corpus through the debug build this way; its timings mean nothing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
count="${CORPUS_SIZE:-20000}"
runs="${RUNS:-1}"
check_only="${CHECK_ONLY:-0}"

# The peer's libraries, pinned, in a virtual environment of their own.
venv="${VENV_DIR:-$root/.build-venv}/pipeline"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import jinja2, lxml, yaml' 2>/dev/null \
  || "$venv/bin/pip" install --quiet 'Jinja2==3.1.6' 'lxml==6.1.3' 'PyYAML==6.0.3'
if [ -n "${SYNOPTIC_BIN:-}" ]; then
  bin="$(cd "$(dirname "$SYNOPTIC_BIN")" && pwd)/$(basename "$SYNOPTIC_BIN")"
else
  (cd "$root" && swift build -c release --product synoptic >/dev/null)
  bin="$root/.build/release/synoptic"
fi
work="$(mktemp -d)"
scratch="$work"
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch="$(mktemp -d /dev/shm/synoptic-compare.XXXXXX)"
trap 'rm -rf "$work" "$scratch"' EXIT

mkdir -p "$work/samples"
for f in "$root"/Samples/*.yaml; do "$bin" convert "$f" -o "$work/samples/$(basename "$f" .yaml).json"; done
python3 "$here/peers/make_corpus.py" --samples "$work/samples" --count "$count" --out "$work/corpus"

pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

# time_once NAME COMMAND... -> seconds of one run (outputs in $scratch/NAME,
# removed afterwards). Every timed run starts from an empty scratch directory:
# on the build machine, another run's tens of thousands of output files left in
# /dev/shm slowed file creation by a quarter, which had favoured whichever run
# went first.
time_once() {
  local name="$1"
  shift
  rm -rf "${scratch:?}"/*
  local seconds
  seconds=$(python3 "$here/peers/measure.py" -- "${pin[@]}" "$@" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
  rm -rf "${scratch:?}"/*
  echo "$seconds"
}
min() { python3 -c "import sys; print(min(float(a) for a in sys.argv[1:]))" "$@"; }

ours_cmd=("$bin" render --batch "$work/corpus" --format text,html,xml -o "$scratch/ours" --jobs 1 --templates "$root/Templates")
peer_cmd=("$venv/bin/python" "$here/peers/pipeline.py" --templates "$root/Templates" --batch "$work/corpus" -o "$scratch/python")
cda_cmd=("$bin" render --batch "$work/corpus" --format text,html,xml,cda -o "$scratch/cda" --jobs 1 --templates "$root/Templates")

# 1. Every output, byte for byte (an untimed run of each; the summaries differ
#    in form and are not compared).
"${ours_cmd[@]}" 2>/dev/null || true
"${peer_cmd[@]}" >/dev/null 2>&1 || true
files=$(cd "$scratch/ours" && find . -type f ! -name batch-report.json | wc -l)
peer_files=$(cd "$scratch/python" && find . -type f ! -name batch-report.json | wc -l)
if [ "$files" != "$((count * 3))" ] || [ "$peer_files" != "$files" ]; then
  echo "expected $((count * 3)) files from each; ours wrote $files, the peer $peer_files" >&2
  exit 1
fi
if ! diff -rq -x batch-report.json "$scratch/ours" "$scratch/python" >"$work/differ.txt"; then
  echo "outputs differ in $(wc -l <"$work/differ.txt") files, e.g.:" >&2
  head -n 5 "$work/differ.txt" >&2
  exit 1
fi
echo "outputs identical: $files files (text, HTML, XML for $count cases)"
[ "$check_only" = 1 ] && exit 0

# 2. Timing: the runs take turns (ours, the peer, ours with CDA), so a slow
#    spell on a shared machine falls on all three alike; the best of each counts.
ours=999999; peer=999999; with_cda=999999
for _ in $(seq 1 "$runs"); do
  ours=$(min "$ours" "$(time_once ours "${ours_cmd[@]}")")
  peer=$(min "$peer" "$(time_once python "${peer_cmd[@]}")")
  with_cda=$(min "$with_cda" "$(time_once cda "${cda_cmd[@]}")")
done

python3 - "$count" "$ours" "$peer" "$with_cda" <<'PY'
import sys
n, ours, peer, cda = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"python format=text,html,xml jobs=1 cases_per_s={n / peer:.0f}")
print(f"synoptic format=text,html,xml jobs=1 cases_per_s={n / ours:.0f}")
print(f"synoptic format=text,html,xml,cda jobs=1 cases_per_s={n / cda:.0f} vs_python={peer / cda:.2f}")
print(f"pipeline vs_python={peer / ours:.2f} cases_per_s={n / ours:.0f}")
PY
