#!/usr/bin/env bash
# Full-pipeline benchmark: decode JSON -> validate -> derive -> fill -> write,
# through `synoptic render --batch`, on a generated corpus (CORPUS_SIZE cases,
# default 20000, made from the samples by peers/make_corpus.py).
#
# Prints cases per second per format and for text+HTML+XML+CDA together, on one
# core (--jobs 1, pinned with taskset) and on every core, then peak memory of
# the all-formats batch at 1,000 cases and at the whole corpus. Outputs go to
# /dev/shm when it exists, so the disk does not set the pace.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
count="${CORPUS_SIZE:-20000}"
cores="$(nproc)"

(cd "$root" && swift build -c release --product synoptic >/dev/null)
bin="$root/.build/release/synoptic"
work="$(mktemp -d)"
scratch="$work"
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch="$(mktemp -d /dev/shm/synoptic-bench.XXXXXX)"
trap 'rm -rf "$work" "$scratch"' EXIT

mkdir -p "$work/samples"
for f in "$root"/Samples/*.yaml; do "$bin" convert "$f" -o "$work/samples/$(basename "$f" .yaml).json"; done
python3 "$here/peers/make_corpus.py" --samples "$work/samples" --count "$count" --out "$work/corpus"
find "$work/corpus" -name '*.json' | sort >"$work/all.txt"
head -n 1000 "$work/all.txt" >"$work/first-1000.txt"

pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

# run FORMATS JOBS INPUT -> "cases_per_s=N peak_rss_mb=M"
run() {
  local formats="$1" jobs="$2" input="$3" out="$scratch/out"
  rm -rf "$out"
  local prefix=()
  [ "$jobs" = 1 ] && prefix=("${pin[@]}")
  local m
  m="$(python3 "$here/peers/measure.py" -- "${prefix[@]}" "$bin" render --batch "$input" --format "$formats" \
    -o "$out" --jobs "$jobs" --templates "$root/Templates")"
  python3 - "$out/batch-report.json" "$m" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["failed"] == 0, r["failures"][:3]
m = dict(kv.split("=") for kv in sys.argv[2].split())
print(f"cases={r['total']} cases_per_s={r['total'] / float(m['seconds']):.0f} peak_rss_mb={m['peak_rss_mb']}")
PY
}

echo "corpus: $count cases; $cores cores"
for formats in text html xml cda text,html,xml,cda; do
  one="$(run "$formats" 1 "$work/corpus")"
  all="$(run "$formats" "$cores" "$work/corpus")"
  r1=$(sed -n 's/.*cases_per_s=\([0-9]*\).*/\1/p' <<<"$one")
  rn=$(sed -n 's/.*cases_per_s=\([0-9]*\).*/\1/p' <<<"$all")
  echo "pipeline format=$formats jobs=1 $one"
  echo "pipeline format=$formats jobs=$cores $all speedup=$(python3 -c "print(f'{$rn / $r1:.2f}')")"
done
small="$(run text,html,xml,cda "$cores" "$work/first-1000.txt")"
large="$(run text,html,xml,cda "$cores" "$work/corpus")"
ms=$(sed -n 's/.*peak_rss_mb=\([0-9.]*\).*/\1/p' <<<"$small")
ml=$(sed -n 's/.*peak_rss_mb=\([0-9.]*\).*/\1/p' <<<"$large")
echo "memory cases=1000 peak_rss_mb=$ms"
echo "memory cases=$count peak_rss_mb=$ml ratio=$(python3 -c "print(f'{$ml / $ms:.2f}')")"
