#!/usr/bin/env python3
"""Generates a benchmark corpus of JSON case files from the samples.

Each case is one of the samples (as JSON, from `synoptic convert`) with a new
accession and order number, a new tumour size (so pT and the stage group vary)
and its stains reordered with new intensities. Sizes and stains are synthetic;
nothing else is changed. --broken adds cases that must fail (bad JSON, an
unknown key, a size without a unit, a negative size), for the batch's summary.

    make_corpus.py --samples DIR_OF_JSON --count 20000 --out corpus [--broken 4] [--seed 1]
"""
import argparse
import json
import os
import random


def vary(case, i, rng):
    case["accession"] = f"BENCH-{i:06d}"
    if "orderNumber" in case:
        case["orderNumber"] = f"BENCH-ORD-{i:06d}"
    tumor = case.get("tumor") or {}
    size = tumor.get("size")
    if isinstance(size, dict) and isinstance(size.get("greatest"), str) and size["greatest"].endswith(" cm"):
        old = float(size["greatest"][:-3])
        new = round(rng.uniform(0.8, 30.0), 1)
        size["greatest"] = f"{new:g} cm"
        if isinstance(size.get("additional"), list):
            scaled = []
            for a in size["additional"]:
                if isinstance(a, str) and a.endswith(" cm"):
                    scaled.append(f"{max(0.1, round(float(a[:-3]) * new / old, 1)):g} cm")
                else:
                    scaled.append(a)
            size["additional"] = scaled
    stains = case.get("stains")
    if isinstance(stains, list):
        rng.shuffle(stains)
        for s in stains:
            if s.get("result") == "positive" and "pattern" not in s:
                s["intensity"] = rng.choice(["weak", "moderate", "strong"])
    return case


BROKEN = [
    ("truncated", lambda text, case: text[: len(text) // 2]),
    ("unknown-key", lambda text, case: json.dumps({**case, "tumour": "misspelt key"}, indent=2)),
    ("size-without-unit", lambda text, case: json.dumps(
        {**case, "tumor": {**case.get("tumor", {}), "size": {"greatest": "six"}}}, indent=2)),
    ("negative-size", lambda text, case: json.dumps(
        {**case, "tumor": {**case.get("tumor", {}), "size": {"greatest": "-3 cm"}}}, indent=2)),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", required=True)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--broken", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    names = sorted(n for n in os.listdir(args.samples) if n.endswith(".json"))
    samples = []
    for n in names:
        with open(os.path.join(args.samples, n), encoding="utf-8") as f:
            samples.append(json.load(f))
    broken_at = set(rng.sample(range(args.count), min(args.broken, args.count)))
    for i in range(args.count):
        case = vary(json.loads(json.dumps(samples[i % len(samples)])), i, rng)
        folder = os.path.join(args.out, f"d{i // 1000:03d}")
        os.makedirs(folder, exist_ok=True)
        text = json.dumps(case, indent=2, ensure_ascii=False) + "\n"
        name = f"case-{i:06d}.json"
        if i in broken_at:
            kind, breaker = BROKEN[len([b for b in broken_at if b < i]) % len(BROKEN)]
            text = breaker(text, case)
            name = f"case-{i:06d}-broken-{kind}.json"
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)
    print(f"corpus: {args.count} cases ({len(broken_at)} broken) from {len(samples)} samples in {args.out}")


if __name__ == "__main__":
    main()
