#!/usr/bin/env bash
# A 2,000-case batch to all six formats, 4 of them deliberately broken:
# checks that every good case has its six files, that the broken ones (and
# only they) are listed as failed, and that the summary adds up.
#   Scripts/batch-smoke.sh [path/to/synoptic]   (default .build/debug/synoptic)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/.build/debug/synoptic}"
count="${SMOKE_CASES:-2000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/samples"
for f in "$root"/Samples/*.yaml; do "$bin" convert "$f" -o "$work/samples/$(basename "$f" .yaml).json"; done
python3 "$root/Benchmarks/peers/make_corpus.py" --samples "$work/samples" --count "$count" --broken 4 --out "$work/corpus"

set +e
"$bin" render --batch "$work/corpus" --format all -o "$work/out" --templates "$root/Templates" 2>"$work/stderr"
status=$?
set -e
[ "$status" = 1 ] || { echo "batch-smoke: expected exit 1 (some cases broken), got $status" >&2; cat "$work/stderr" >&2; exit 1; }

python3 - "$work" "$count" <<'PY'
import json, os, sys
work, count = sys.argv[1], int(sys.argv[2])
cases = []
for d, _, files in os.walk(os.path.join(work, "corpus")):
    cases += [os.path.join(d, f) for f in files if f.endswith(".json")]
broken = sorted(c for c in cases if "-broken-" in c)
report = json.load(open(os.path.join(work, "out", "batch-report.json")))
problems = []
if len(cases) != count: problems.append(f"corpus has {len(cases)} cases, not {count}")
if report["total"] != count: problems.append(f"total {report['total']} != {count}")
if report["failed"] != len(broken) or report["succeeded"] != count - len(broken):
    problems.append(f"succeeded/failed {report['succeeded']}/{report['failed']}, expected {count - len(broken)}/{len(broken)}")
if sorted(f["path"] for f in report["failures"]) != broken:
    problems.append(f"failures {[f['path'] for f in report['failures']]} are not the broken cases {broken}")
if any(not f["diagnostics"] for f in report["failures"]): problems.append("a failure without diagnostics")
exts = ["txt", "html", "xml", "cda.xml", "hl7", "fhir.json"]
missing = 0
for c in cases:
    stem = os.path.join(work, "out", os.path.relpath(c, os.path.join(work, "corpus"))[: -len(".json")])
    for e in exts:
        exists = os.path.exists(f"{stem}.{e}")
        if exists == ("-broken-" in c): missing += 1
if missing: problems.append(f"{missing} output files missing (or written for a broken case)")
written = sum(len(fs) for _, _, fs in os.walk(os.path.join(work, "out")))
if written != (count - len(broken)) * 6 + 1: problems.append(f"{written} files in the output directory")
if report["filesWritten"] != (count - len(broken)) * 6: problems.append(f"filesWritten {report['filesWritten']}")
stderr = open(os.path.join(work, "stderr")).read()
for b in broken:
    if b not in stderr: problems.append(f"{b} not named on stderr")
if problems:
    print("batch-smoke: FAILED\n  " + "\n  ".join(problems)); sys.exit(1)
print(f"batch-smoke: {count} cases, {len(broken)} broken and listed, {report['filesWritten']} files written "
      f"({report['casesPerSecond']:.0f} cases/s)")
PY
