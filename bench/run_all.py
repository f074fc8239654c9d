"""Runs every benchmark of issue 7 in order and prints one summary with every figure and verdict (`make bench`).

1. conversation turns (bench/turns_bench.py), 2. portal (bench/portal_bench.py), 3. workbooks
(bench/workbook_bench.py), 4. training (bench/train_bench.py). A script that is not there yet is reported as
missing. Every script prints its verdicts as lines with MET or MISSED (or NOT JUDGED for a smoke configuration);
the summary repeats them. A missed
target is a finding, not a failure: the exit code is non-zero only when a script itself failed.

    portal/.venv/bin/python bench/run_all.py [--quick] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH = REPO_ROOT / "bench"
RESULTS = BENCH / "RESULTS.md"


@dataclass
class Bench:
    """One benchmark script and what it reported."""

    title: str
    script: str
    quick_args: list[str] = field(default_factory=list)
    full_args: list[str] = field(default_factory=list)
    returncode: int | None = None
    seconds: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    verdicts: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)


def benches() -> list[Bench]:
    return [
        Bench("1. conversation turns (ours vs stock rasa init bot)", "turns_bench.py", ["--quick"]),
        Bench("2. portal: participant search over 100,000, mutation POST", "portal_bench.py", ["--quick"]),
        Bench("3. workbooks: 10,000-row salary upload, 100,000-participant export", "workbook_bench.py", ["--quick"]),
        # A quick run trains with one epoch: it shows the pipeline works, its time is not the figure.
        Bench("4. training: rasa train from scratch", "train_bench.py", ["--epochs", "1"]),
    ]


def accepts_json(script: Path) -> bool:
    """Whether the script writes its figures as JSON (--json FILE); the other helpers' scripts may not."""
    return "--json" in script.read_text()


def run(bench: Bench, quick: bool, folder: Path) -> None:
    """Runs one script, streaming its output, and keeps its verdict lines and JSON figures."""
    script = BENCH / bench.script
    if not script.exists():
        bench.verdicts = [f"not run: {bench.script} does not exist yet"]
        return
    command = [sys.executable, str(script), *(bench.quick_args if quick else bench.full_args)]
    figures = folder / f"{script.stem}.json"
    if accepts_json(script):
        command += ["--json", str(figures)]
    print(f"\n=== {bench.title}: {' '.join(command[1:])}", flush=True)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    with subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            if any(word in line for word in ("MET", "MISSED", "NOT JUDGED")):
                bench.verdicts.append(line.strip())
    bench.returncode = process.returncode
    bench.seconds = time.monotonic() - started
    bench.load = (load_before, os.getloadavg()[0])
    if figures.exists():
        bench.figures = json.loads(figures.read_text())


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal"))
    return f"{os.cpu_count()} CPUs ({cpu}), {memory_kb / 1024 / 1024:.1f} GB RAM"


def turns_table(figures: dict) -> list[str]:
    """The per-level rows of the turns benchmark as a markdown table."""
    rows = ["| bot | users | turns/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---|---|---|---|---|---|"]
    for level in figures.get("levels", []):
        rows.append(f"| {level['bot']} | {level['users']} | {level['turns_per_second']:.2f} | {level['p50_ms']:.0f} | "
                    f"{level['p95_ms']:.0f} | {level['p99_ms']:.0f} | {level['errors']} |")
    rows.append("")
    for comparison in figures.get("comparisons", []):
        target = " (targets at 20 users: turns/s >= x2.0, p95 <= x0.5)" if comparison["users"] == 20 else ""
        rows.append(f"- ours / stock at {comparison['users']} users: turns/s x{comparison['turns_ratio']:.2f}, "
                    f"p95 x{comparison['p95_ratio']:.2f}{target}")
    return rows


def summary(results: list[Bench], quick: bool) -> str:
    """A markdown block with the date, the machine, the load and every figure and verdict."""
    lines = [
        f"## {datetime.now().strftime('%Y-%m-%d %H:%M')} {'(QUICK / smoke run, not the figures)' if quick else ''}",
        "",
        f"Machine: {machine()}; load average at the start of each benchmark and at its end below.",
        "",
    ]
    for bench in results:
        status = "missing" if bench.returncode is None else ("ok" if bench.returncode == 0 else
                                                             f"exit code {bench.returncode}")
        lines.append(f"### {bench.title}")
        lines.append(f"{status}, {bench.seconds:.0f} s, load {bench.load[0]:.2f} -> {bench.load[1]:.2f}")
        lines.append("")
        if bench.script == "turns_bench.py" and bench.figures:
            lines += turns_table(bench.figures)
            lines.append("")
        lines += [f"- {verdict}" for verdict in bench.verdicts]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs of every benchmark (smoke, not figures)")
    parser.add_argument("--only", default="", help="comma-separated script names to run (default: all four)")
    parser.add_argument("--record", action="store_true", help=f"append the summary to {RESULTS.relative_to(REPO_ROOT)}")
    args = parser.parse_args(argv)
    selected = [b for b in benches() if not args.only or b.script.removesuffix(".py") in args.only.split(",")
                or b.script in args.only.split(",")]
    with tempfile.TemporaryDirectory(prefix="wgp-bench-") as folder:
        for bench in selected:
            run(bench, args.quick, Path(folder))
    block = summary(selected, args.quick)
    print("\n" + "=" * 100 + "\nSUMMARY\n" + "=" * 100 + "\n" + block)
    if args.record:
        with RESULTS.open("a") as results:
            results.write("\n" + block + "\n")
        print(f"appended to {RESULTS.relative_to(REPO_ROOT)}")
    failed = [b.script for b in selected if b.returncode not in (None, 0)]
    if failed:
        print(f"failed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
