"""`rasa train` from scratch: wall time, CPU time and the time of each component, against the 4-minute target.

Copies config.yml, domain.yml, data/ and bot/ into a temporary folder and trains there with an empty cache
(RASA_CACHE_DIRECTORY in the folder too), so nothing of an earlier training is reused. The component times come
from Rasa's own log lines ("Starting/Finished to train component ...", whole seconds).

    portal/.venv/bin/python bench/train_bench.py            # the production config.yml
    portal/.venv/bin/python bench/train_bench.py --epochs 1 # a smoke run: every `epochs` set to 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
RASA = REPO_ROOT / ".venv" / "bin" / "rasa"
TARGET_SECONDS = 240.0
LOG_LINE = re.compile(
    r"^(?P<at>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) .*rasa\.engine\.training\.hooks\s+- "
    r"(?P<what>Starting to train|Finished training) component '(?P<component>[^']+)'"
)


def with_epochs(config: dict, epochs: int) -> dict:
    """The config with every component's and policy's `epochs` replaced (for smoke runs only)."""
    for section in ("pipeline", "policies"):
        for part in config.get(section) or []:
            if "epochs" in part:
                part["epochs"] = epochs
    return config


def component_seconds(log: str) -> dict[str, float]:
    """Seconds per trained component, from the start and finish lines Rasa logs (1 s resolution)."""
    started: dict[str, datetime] = {}
    seconds: dict[str, float] = {}
    for line in log.splitlines():
        match = LOG_LINE.match(line.strip())
        if not match:
            continue
        at = datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S")
        name = match["component"]
        if match["what"] == "Starting to train":
            started[name] = at
        elif name in started:
            seconds[name] = seconds.get(name, 0.0) + (at - started.pop(name)).total_seconds()
    return seconds


def train(config: Path, epochs: int | None, keep: bool) -> dict[str, object]:
    """Trains once in a fresh folder; returns wall and CPU seconds, the component times and the model's size."""
    folder = Path(tempfile.mkdtemp(prefix="wgp-train-bench-"))
    try:
        shutil.copy2(REPO_ROOT / "domain.yml", folder / "domain.yml")
        shutil.copytree(REPO_ROOT / "data", folder / "data")
        shutil.copytree(REPO_ROOT / "bot", folder / "bot", ignore=shutil.ignore_patterns("__pycache__"))
        settings = yaml.safe_load(config.read_text())
        if epochs is not None:
            settings = with_epochs(settings, epochs)
        (folder / "config.yml").write_text(yaml.safe_dump(settings, sort_keys=False, allow_unicode=True))
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
               "PYTHONDONTWRITEBYTECODE": "1", "RASA_CACHE_DIRECTORY": str(folder / ".rasa-cache"),
               # The custom components (bot/components) are imported from the copy.
               "PYTHONPATH": str(folder)}
        log_path = folder / "train.log"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        with log_path.open("wb") as log:
            result = subprocess.run(
                [str(RASA), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
                 "--out", "models", "--fixed-model-name", "bench"],
                cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        log = log_path.read_text(errors="replace")
        if result.returncode != 0:
            tail = "\n".join(log.splitlines()[-30:])
            raise RuntimeError(f"rasa train failed ({result.returncode}):\n{tail}")
        model = folder / "models" / "bench.tar.gz"
        return {
            "wall_seconds": wall,
            "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "components": component_seconds(log),
            "model_mb": model.stat().st_size / 1e6 if model.exists() else None,
        }
    finally:
        if keep:
            print(f"training folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config.yml", help="the config to train with")
    parser.add_argument("--epochs", type=int, default=None, help="override every `epochs` (smoke runs; not the figure)")
    parser.add_argument("--keep", action="store_true", help="keep the training folder and its log")
    parser.add_argument("--json", type=Path, default=None, help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    label = f"{args.config.name}" + (f" with epochs={args.epochs} (SMOKE, not the figure)" if args.epochs else "")
    print(f"training benchmark: rasa train from scratch with {label}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    result = train(args.config, args.epochs, args.keep)
    for name, seconds in sorted(result["components"].items(), key=lambda item: -item[1]):
        if seconds >= 1:
            print(f"  {seconds:6.0f} s  {name}")
    other = result["wall_seconds"] - sum(result["components"].values())
    print(f"  {other:6.0f} s  everything else (start-up, reading and validating data, graph, writing the model)")
    met = result["wall_seconds"] <= TARGET_SECONDS
    verdict = "NOT JUDGED: smoke config, not the figure" if args.epochs else ("MET" if met else "MISSED")
    print(f"  rasa train: {result['wall_seconds']:.0f} s wall, {result['cpu_seconds']:.0f} s CPU "
          f"(target <= {TARGET_SECONDS:.0f} s: {verdict})")
    result.update({"config": label, "target_seconds": TARGET_SECONDS, "target_met": met,
                   "smoke": args.epochs is not None, "load_avg": os.getloadavg()})
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
