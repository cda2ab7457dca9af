#!/usr/bin/env python3
"""Memory under attack: runs the release review's hostile inputs through the
built binary and fails when any run's peak resident memory reaches the bound
(200 MB) or its exit status is not the expected refusal.

  Scripts/attack-memory.py [BINARY]      (default .build/debug/synoptic)
"""
import os, resource, subprocess, sys, tempfile

BOUND_KB = 200 * 1024
binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/synoptic"
work = tempfile.mkdtemp(prefix="synoptic-attack-")


def peak(args, expect):
    """Runs one command in a fresh child and returns its peak RSS in kB."""
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(r.stderr.decode()[-400:])\n"
    )
    r = subprocess.run([sys.executable, "-c", probe] + args, capture_output=True, text=True)
    status, kb = (int(x) for x in r.stdout.split())
    if status != expect:
        sys.exit(f"attack-memory: {' '.join(args[:3])}: exit {status}, expected {expect}\n{r.stderr}")
    return kb


def write(name, text):
    path = os.path.join(work, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


failures = 0
# 1. Billion laughs: nine levels of nested aliases in 563 bytes.
laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
for n, p in zip("bcdefghi", "abcdefgh"):
    laughs += f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n"
laughs += "accession: *i\n"
kb = peak([binary, "validate", write("laughs.yaml", laughs)], 2)
print(f"billion laughs ({len(laughs)} bytes): refused, peak {kb // 1024} MB")
failures += kb >= BOUND_KB

# 2. A 45 MB list of stains.
with open(os.path.join(work, "stains.yaml"), "w") as f:
    f.write("accession: S1\nstains:\n")
    line = "  - {name: desmin, result: positive}\n"
    f.write(line * (45_000_000 // len(line)))
kb = peak([binary, "validate", os.path.join(work, "stains.yaml")], 2)
print(f"45 MB list of stains: refused, peak {kb // 1024} MB")
failures += kb >= BOUND_KB

# 3. 2,000 cases of 500 unknown keys each, in one batch.
keys = lambda prefix, n: "".join(f"  {prefix}{i}: x\n" for i in range(n))
broken = "accession: X\n" + "".join(f"extra{m}:\n" + keys("k", 125) for m in range(4))
for i in range(2000):
    write(f"batch/in/case-{i}.yaml", broken)
kb = peak([binary, "render", "--batch", os.path.join(work, "batch/in"), "--format", "text",
           "-o", os.path.join(work, "batch/out"), "--jobs", "2"], 1)
import json
report = json.load(open(os.path.join(work, "batch/out/batch-report.json")))
assert report["failed"] == 2000 and len(report["failures"]) == 2000, "every failure is in the report"
print(f"2,000 cases x 500 unknown keys: all listed, peak {kb // 1024} MB")
failures += kb >= BOUND_KB

subprocess.run(["rm", "-rf", work])
if failures:
    sys.exit(f"attack-memory: {failures} run(s) reached {BOUND_KB // 1024} MB")
print("attack-memory: every attack stayed under 200 MB")
