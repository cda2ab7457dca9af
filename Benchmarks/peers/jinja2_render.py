#!/usr/bin/env python3
"""Renders the benchmark report with Jinja2 (autoescape on, template compiled
once), the way an interface team would script it. --print prints the output;
otherwise prints renders per second."""
import argparse
import json
import pathlib
import sys
import time

import jinja2


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--resources", default=str(pathlib.Path(__file__).resolve().parent.parent / "Resources"))
    p.add_argument("--iterations", type=int, default=100_000)
    p.add_argument("--print", action="store_true", dest="print_output")
    a = p.parse_args()
    res = pathlib.Path(a.resources)
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    template = env.from_string((res / "report.jinja2").read_text(encoding="utf-8"))
    data = json.loads((res / "data.json").read_text(encoding="utf-8"))
    if a.print_output:
        sys.stdout.write(template.render(**data))
        return 0
    sink = 0
    for _ in range(max(1, a.iterations // 20)):
        sink += len(template.render(**data))
    start = time.perf_counter()
    for _ in range(a.iterations):
        sink += len(template.render(**data))
    elapsed = time.perf_counter() - start
    print(f"jinja2 renders_per_second={int(a.iterations / elapsed)} jinja2_version={jinja2.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
