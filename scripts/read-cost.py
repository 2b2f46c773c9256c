#!/usr/bin/env python3
"""The CPU a status read costs beyond its one query, in instructions (make readcost).

Runs the `read_cost` example (benches/loadtest/examples/read_cost.rs) twice under
callgrind: once collecting only inside its measured reads through corpnum (the local
host's router in process: the API Gateway stand-in, lambda_http's parse, the handler), once
only inside the floor's (the same query with the SDK alone). Instructions, unlike time, do
not move with what else the machine does, so a change's effect on a read shows to the
percent in one run. Prints figures; asserts nothing.

    scripts/read-cost.py EXAMPLE_BINARY
"""
import os
import re
import subprocess
import sys
import tempfile

# Where corpnum's instructions go, by the function whose inclusive cost is that stage's
# (a name matched against the end of callgrind's symbol). A stage a refactoring renames
# prints "n/a" instead of a wrong figure.
STAGES = [
    ("API Gateway stand-in: token check", r"corpnum_local::jwt::Verifier::verify"),
    ("API Gateway stand-in: event written", r"corpnum_local::host::gateway_event"),
    ("event read (as in Lambda)", r"corpnum::runtime::gateway::GatewayEvent::from_json"),
    ("event handed to the API layer", r"corpnum::runtime::gateway::GatewayEvent::into_api_request"),
    ("the query (the SDK, as the floor's)", r"DynamoStore>::query_partition_of::\{\{closure\}\}"),
    ("stored documents decoded", r"corpnum::aws::dynamo::codec::doc"),
    ("view built", r"corpnum::api::views::application::application"),
    ("view written as JSON", r"corpnum::api::json_response"),
    ("answer for API Gateway", r"corpnum::runtime::gateway::GatewayResponse::from_api"),
    ("API Gateway stand-in: answer read", r"corpnum::runtime::gateway::GatewayResponse::into_http"),
]


def run(binary, function, env):
    """Runs the example under callgrind collecting inside `function` only; returns the
    number of reads it made there and callgrind_annotate's inclusive listing."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--toggle-collect=read_cost::{function}",
                f"--callgrind-out-file={out}",
                binary,
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if done.returncode != 0:
            sys.exit(f"read_cost failed under valgrind:\n{done.stdout}\n{done.stderr}")
        reads = re.search(r"reads: corpnum (\d+) .*floor (\d+)", done.stdout)
        if not reads:
            sys.exit(f"read_cost printed no read counts:\n{done.stdout}")
        which = 1 if "corpnum" in function else 2
        listing = subprocess.run(
            ["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return int(reads.group(which)), listing


def total(listing):
    m = re.search(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", listing, re.M)
    return int(m.group(1).replace(",", "")) if m else 0


def inclusive(listing, pattern):
    """The largest inclusive cost of a symbol ending in `pattern` (a recursive function is
    listed once more with a `'2` suffix, which the pattern does not match)."""
    best = None
    for line in listing.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+\S*?:(.*?)\s+\[", line)
        if m and re.search(pattern + r"$", m.group(2)):
            cost = int(m.group(1).replace(",", ""))
            best = cost if best is None else max(best, cost)
    return best


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    env = dict(os.environ)
    ours_reads, ours = run(binary, "measured_corpnum_reads", env)
    floor_reads, floor = run(binary, "measured_floor_reads", env)
    per_ours = total(ours) / ours_reads
    per_floor = total(floor) / floor_reads
    print(f"instructions per status read (callgrind; {ours_reads} reads each, one at a time)")
    print(f"  {'corpnum':<44} {per_ours:>11,.0f}")
    print(f"  {'floor (the same query with the SDK alone)':<44} {per_floor:>11,.0f}")
    print(
        f"  corpnum adds {per_ours - per_floor:,.0f} ({per_ours / per_floor:.2f}x the floor)"
    )
    print("where corpnum's go:")
    known = 0
    for name, pattern in STAGES:
        cost = inclusive(ours, pattern)
        if cost is None:
            print(f"  {name:<44} {'n/a':>11}")
            continue
        known += cost
        print(f"  {name:<44} {cost / ours_reads:>11,.0f}")
    rest = total(ours) - known
    print(f"  {'the rest (routing, glue, the driver)':<44} {rest / ours_reads:>11,.0f}")


if __name__ == "__main__":
    main()
