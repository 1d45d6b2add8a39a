#!/usr/bin/env python3
"""Writes a world of N live leads (two data keys each) to stdout, for the
load-time and memory figures in BENCHMARKS.md:

    python3 scripts/big_world.py 1000000 > world-1m.json
    /usr/bin/time -v target/release/dialgate run --world world-1m.json </dev/null
"""
import json
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
leads = [
    {
        "id": f"lead-{i}",
        "company_id": "acme",
        "schedule_id": "s-a",
        "number": f"+1719{2000000 + i:07d}",
        "data": {"first_name": "Ann", "state": "CO"},
    }
    for i in range(n)
]
json.dump(
    {
        "companies": [{"id": "acme", "cps_limit": 100}],
        "schedules": [{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}],
        "leads": leads,
    },
    sys.stdout,
)
