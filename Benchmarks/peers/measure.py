#!/usr/bin/env python3
"""Runs a command and prints its wall time and peak resident memory:
    measure.py -- CMD ARGS...   ->   seconds=1.234 peak_rss_mb=56.7 status=0
Peak memory is the largest resident set of the command (getrusage of children)."""
import resource
import subprocess
import sys
import time

args = sys.argv[sys.argv.index("--") + 1:]
start = time.perf_counter()
status = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"seconds={seconds:.3f} peak_rss_mb={peak_kb / 1024:.1f} status={status}")
