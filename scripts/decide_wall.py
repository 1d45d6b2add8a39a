#!/usr/bin/env python3
"""Nanoseconds a decision of `examples/decide_count.rs` builds, alternating.

    scripts/decide_wall.py ROUNDS N BUILD... -- PATH...

Each round runs, for each path and each build in turn, `BUILD PATH 0` and
`BUILD PATH N`, and takes (user time of the second - user time of the
first) / N: the child's user CPU time (`wait4`), which leaves out the time
it waited to be scheduled on a shared machine. Prints each build's median
and range a path, and its speed against the first build (median / median).
"""
import os
import statistics
import sys


def user_seconds(build, path, n):
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.execv(build, [build, path, str(n)])
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        sys.exit(f"{build} {path} {n}: exit status {status}")
    return usage.ru_utime


def main():
    args = sys.argv[1:]
    if "--" not in args or len(args) < 5:
        sys.exit(__doc__)
    split = args.index("--")
    rounds, n = int(args[0]), int(args[1])
    builds, paths = args[2:split], args[split + 1:]
    ns = {(b, p): [] for b in builds for p in paths}
    for _ in range(rounds):
        for p in paths:
            for b in builds:
                zero = user_seconds(b, p, 0)
                full = user_seconds(b, p, n)
                ns[(b, p)].append((full - zero) / n * 1e9)
    for p in paths:
        first = statistics.median(ns[(builds[0], p)])
        for b in builds:
            v = sorted(ns[(b, p)])
            med = statistics.median(v)
            print(f"{p:12} {b:30} median {med:6.0f} ns  range {v[0]:.0f}-{v[-1]:.0f}"
                  f"  speed {first / med:.2f}x")


if __name__ == "__main__":
    main()
