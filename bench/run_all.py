"""Runs every benchmark of issue 7 in order and prints one summary with every figure and verdict (`make bench`).

1. conversation turns (bench/turns_bench.py: the single-process stack, then the scaled one of
scripts/run_scaled.py, each against the stock bot), 2. portal (bench/portal_bench.py), 3. workbooks
(bench/workbook_bench.py), 4. training (bench/train_bench.py). A script that is not there yet is reported as
missing. Every script prints its verdicts as lines with MET or MISSED (or NOT JUDGED for a smoke configuration);
the summary repeats them. A missed
target is a finding, not a failure: the exit code is non-zero only when a script itself failed.

    portal/.venv/bin/python bench/run_all.py [--quick] [--record] [--skip-scaled] [--stock-dir DIR] [--only turns_bench]
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
        Bench("1. conversation turns (ours, single-process and scaled, vs stock rasa init bot)", "turns_bench.py",
              ["--quick"]),
        Bench("2. portal: participant search over 100,000, mutation POST", "portal_bench.py", ["--quick"]),
        Bench("3. workbooks: 10,000-row salary upload, 100,000-participant export", "workbook_bench.py", ["--quick"]),
        # A quick run trains with one epoch: it shows the pipeline works, its time is not the figure.
        Bench("4. training: rasa train from scratch", "train_bench.py", ["--epochs", "1"]),
    ]


def accepts_json(script: Path) -> bool:
    """Whether the script writes its figures as JSON (--json FILE); the other helpers' scripts may not."""
    return "--json" in script.read_text()


def run(bench: Bench, quick: bool, folder: Path, extra_args: list[str] | None = None) -> None:
    """Runs one script, streaming its output, and keeps its verdict lines and JSON figures."""
    script = BENCH / bench.script
    if not script.exists():
        bench.verdicts = [f"not run: {bench.script} does not exist yet"]
        return
    command = [sys.executable, str(script), *(bench.quick_args if quick else bench.full_args), *(extra_args or [])]
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


STACK_NAMES = {"single": "single-process", "scaled": "scaled", "external": "external"}


def turns_table(figures: dict) -> list[str]:
    """The per-level rows of the turns benchmark as markdown tables: every level, then the stacks side by side."""
    rows = ["| stack | bot | users | turns/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---|---|---|---|---|---|---|"]
    for level in figures.get("levels", []):
        stack = STACK_NAMES.get(level.get("phase", "single"), level.get("phase"))
        rows.append(f"| {stack} | {level['bot']} | {level['users']} | {level['turns_per_second']:.2f} | "
                    f"{level['p50_ms']:.0f} | {level['p95_ms']:.0f} | {level['p99_ms']:.0f} | {level['errors']} |")
    rows.append("")
    rows += side_by_side(figures.get("levels", []))
    for comparison in figures.get("comparisons", []):
        target = " (targets at 20 users: turns/s >= x2.0, p95 <= x0.5)" if comparison["users"] == 20 else ""
        stack = {"single": "ours", "scaled": "scaled", "external": "external"}.get(comparison.get("stack", "single"))
        rows.append(f"- {stack} / stock (measured alongside) at {comparison['users']} users: "
                    f"turns/s x{comparison['turns_ratio']:.2f}, p95 x{comparison['p95_ratio']:.2f}{target}")
    if "scaled" in figures:
        reset = figures.get("reset", {}).get("scaled", "")
        rows.append(f"- scaled stack (PostgreSQL, Redis, portal 2 workers, 2 action servers, 2 Rasa processes behind "
                    f"nginx): {figures['scaled'][:300]}"
                    + (f"; between levels: {reset}" if figures["scaled"] == "run" else ""))
    return rows


def side_by_side(levels: list[dict]) -> list[str]:
    """turns/s and p95 of both of our stacks and of the stock bot alongside each, per number of users."""
    by_level = {(level.get("phase", "single"), level["bot"], level["users"]): level for level in levels}
    if not any(phase == "scaled" for phase, _, _ in by_level):
        return []
    columns = [("single", "our stack"), ("scaled", "scaled stack"), ("single", "stock rasa init bot"),
               ("scaled", "stock rasa init bot")]
    rows = ["| users | single-process: turns/s, p95 ms | scaled | stock (with single) | stock (with scaled) | "
            "scaled / single: turns/s, p95 |", "|---|---|---|---|---|---|"]
    for users in sorted({users for _, _, users in by_level}):
        cells = [by_level.get((phase, bot, users)) for phase, bot in columns]
        text = [f"{c['turns_per_second']:.2f}, {c['p95_ms']:.0f}" if c else "-" for c in cells]
        single, scaled = cells[0], cells[1]
        ratio = "-"
        if single and scaled and single["turns_per_second"] and single["p95_ms"]:
            ratio = (f"x{scaled['turns_per_second'] / single['turns_per_second']:.2f}, "
                     f"x{scaled['p95_ms'] / single['p95_ms']:.2f}")
        rows.append(f"| {users} | " + " | ".join(text) + f" | {ratio} |")
    rows.append("")
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
    parser.add_argument("--skip-scaled", action="store_true",
                        help="turns benchmark: leave out the scaled stack (PostgreSQL, Redis, 2 Rasa processes, ...)")
    parser.add_argument("--stock-dir", type=Path, default=None,
                        help="turns benchmark: reuse a folder where `rasa init` was run and trained before")
    args = parser.parse_args(argv)
    selected = [b for b in benches() if not args.only or b.script.removesuffix(".py") in args.only.split(",")
                or b.script in args.only.split(",")]
    with tempfile.TemporaryDirectory(prefix="wgp-bench-") as folder:
        turns_args = (["--skip-scaled"] if args.skip_scaled else []) + (
            ["--stock-dir", str(args.stock_dir.resolve())] if args.stock_dir else [])
        for bench in selected:
            run(bench, args.quick, Path(folder), turns_args if bench.script == "turns_bench.py" else [])
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
