"""How long the trained model takes to understand one message (Rasa's parse_message), median of repeats.

The NLU part of every conversation turn, without channels, actions or the portal: eight messages
of our conversations in Dutch and English, each parsed alone as a turn does, after a warm-up.

    .venv/bin/python bench/parse_bench.py [--model models/assistant.tar.gz] [--rounds 25]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from rasa.core.agent import Agent  # noqa: E402

MESSAGES = [
    "uitdiensttreding voor Jansen per 1 januari",
    "wat verdient 2001681",
    "hoe zet ik de donkere modus aan",
    "ja",
    "Piet Jansen",
    "what is the status of my changes",
    "hallo",
    "I want to register a partner for Anna Jansen, bsn 123456782",
]


async def measure(model: Path, rounds: int) -> list[float]:
    """Milliseconds per message, one figure per round (the mean over the messages of that round)."""
    agent = Agent.load(str(model))
    for message in MESSAGES:
        await agent.parse_message(message)
    figures = []
    for _ in range(rounds):
        started = time.perf_counter()
        for message in MESSAGES:
            await agent.parse_message(message)
        figures.append((time.perf_counter() - started) * 1000 / len(MESSAGES))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO_ROOT / "models" / "assistant.tar.gz")
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.model, args.rounds))
    load = os.getloadavg()
    print(
        f"parse_message: median {statistics.median(figures):.2f} ms per message "
        f"(min {min(figures):.2f}, max {max(figures):.2f}; {args.rounds} rounds of {len(MESSAGES)}; "
        f"load average {load[0]:.2f})"
    )


if __name__ == "__main__":
    main()
