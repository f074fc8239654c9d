"""Measures how well the assistant understands Dutch and English: NLU cross-validation per language.

`make nlu-report` runs this. The NLU data of both languages is split by the
language each example is labelled with (the `metadata: {language: ..}` that
the LanguageDetector learns from), and Rasa's cross-validation runs on each
half with the production config.yml, unchanged: the numbers are those of the
pipeline the assistant runs, FallbackClassifier included (a message it falls
back on counts as misunderstood). Regexes, lookup tables and synonyms are
language-neutral and go with both halves.

Writes reports/nlu/latest.md and reports/nlu/latest.json (intent and entity
F1 per intent and entity, macro averages per language, whether the targets
are met) and Rasa's own reports per language under reports/nlu/<language>/.
A missed target is reported loudly but does not fail the run: this is a
measurement, the tests are elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import shutil
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
# The pipeline names our own components (bot.components.*) by module path.
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import numpy  # noqa: E402
from rasa.model_testing import perform_nlu_cross_validation  # noqa: E402
from rasa.shared.importers.importer import TrainingDataImporter  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from bot.components.language import LANGUAGES, example_language  # noqa: E402

INTENT_TARGET = 0.95
ENTITY_TARGET = 0.90
# The entity extractors the report can measure, the first in the pipeline counts; the LanguageDetector's
# `language` entity is not annotated in the data and has tests of its own.
ENTITY_EXTRACTORS = ("DIETClassifier", "CRFEntityExtractor")
# Rows of the sklearn report that are averages, not labels.
SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")

logger = logging.getLogger("nlu_report")


@dataclass
class LanguageResult:
    """One language's cross-validated scores."""

    language: str
    examples: int
    intent_macro_f1: float
    intent_weighted_f1: float
    intent_accuracy: float
    entity_macro_f1: float | None
    entity_micro_f1: float | None
    # Which FAQ answer is picked (no target of its own; shown to spot confused topics).
    response_macro_f1: float | None = None
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def intent_target_met(self) -> bool:
        return self.intent_macro_f1 >= INTENT_TARGET

    @property
    def entity_target_met(self) -> bool:
        return self.entity_macro_f1 is not None and self.entity_macro_f1 >= ENTITY_TARGET


def load_nlu_data(data_dir: Path, domain: Path, config: Path) -> TrainingData:
    """All NLU data as Rasa trains on it, with the domain's responses for retrieval intents."""
    importer = TrainingDataImporter.load_from_dict(
        config_path=str(config), domain_path=str(domain), training_data_paths=[str(data_dir)]
    )
    return importer.get_nlu_data()


def split_by_language(data: TrainingData) -> dict[str, TrainingData]:
    """One TrainingData per language; unlabelled examples are an error in the data, so they stop the run."""
    by_language: dict[str, list] = defaultdict(list)
    unlabelled = []
    # The importer adds the domain's action names as examples without text; they are not NLU data.
    for message in data.nlu_examples:
        if not message.get("text"):
            continue
        language = example_language(message)
        if language is None:
            unlabelled.append(message.get("text"))
        else:
            by_language[language].append(message)
    if unlabelled:
        raise SystemExit(
            f"{len(unlabelled)} NLU examples have no language metadata, e.g. {unlabelled[:3]}; "
            "add `metadata: {language: nl|en}` to their intent block."
        )
    return {
        language: TrainingData(
            training_examples=by_language[language],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
            responses=data.responses,
        )
        for language in LANGUAGES
    }


def run_cross_validation(config: dict[str, Any], data: TrainingData, folds: int, output: Path, seed: int) -> None:
    """Rasa's own `rasa test nlu --cross-validation`, into `output`, on folds drawn with `seed`.

    Rasa shuffles the examples into folds with numpy's global random state, unseeded: two runs on the
    same data differed by up to 0.005 in macro F1 (3 folds), as much as a round of new data changes.
    Seeded, a run is reproducible, and a change in the numbers comes from a change in the data or the
    pipeline.
    """
    numpy.random.seed(seed)
    random.seed(seed)
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    arguments = {"folds": folds, "disable_plotting": True, "errors": True, "successes": False}
    asyncio.run(perform_nlu_cross_validation(config, data, str(output), arguments))
    # The LanguageDetector's `language` entity is never annotated, so its "errors" are every message (megabytes).
    for unmeasured in output.glob("LanguageDetector_*"):
        unmeasured.unlink()


def _labels(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-label rows of a Rasa/sklearn report, rounded for reading."""
    rows = {}
    for label, row in report.items():
        if label in SUMMARY_ROWS or not isinstance(row, dict):
            continue
        rows[label] = {
            "precision": round(row["precision"], 3),
            "recall": round(row["recall"], 3),
            "f1": round(row["f1-score"], 3),
            "support": row["support"],
            # Rasa lists what the label was mistaken for (intents only).
            "confused_with": row.get("confused_with", {}),
        }
    return rows


def entity_extractor(config_path: Path) -> str:
    """The pipeline's entity extractor whose entities are measured."""
    pipeline = TrainingDataImporter.load_from_dict(config_path=str(config_path)).get_config().get("pipeline", [])
    names = [component.get("name") for component in pipeline]
    return next((name for name in names if name in ENTITY_EXTRACTORS), ENTITY_EXTRACTORS[0])


def read_result(language: str, output: Path, extractor: str) -> LanguageResult:
    """Reads Rasa's intent and entity reports of one language's cross-validation."""
    intent_report = json.loads((output / "intent_report.json").read_text())
    entity_file = output / f"{extractor}_report.json"
    entity_report = json.loads(entity_file.read_text()) if entity_file.exists() else {}
    entity_micro = entity_report.get("micro avg", entity_report.get("weighted avg"))
    response_file = output / "response_selection_report.json"
    response_report = json.loads(response_file.read_text()) if response_file.exists() else {}
    intents = _labels(intent_report)
    return LanguageResult(
        language=language,
        # Cross-validation tests every example exactly once, so the supports add up to all examples.
        examples=sum(row["support"] for row in intents.values()),
        intent_macro_f1=round(intent_report["macro avg"]["f1-score"], 4),
        intent_weighted_f1=round(intent_report["weighted avg"]["f1-score"], 4),
        intent_accuracy=round(intent_report["accuracy"], 4),
        entity_macro_f1=round(entity_report["macro avg"]["f1-score"], 4) if entity_report else None,
        entity_micro_f1=round(entity_micro["f1-score"], 4) if entity_micro else None,
        response_macro_f1=round(response_report["macro avg"]["f1-score"], 4) if response_report else None,
        intents=intents,
        entities=_labels(entity_report),
        responses=_labels(response_report),
    )


def _verdict(met: bool) -> str:
    return "met" if met else "**MISSED**"


def _format_f1(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _confusion_rows(labels: dict[str, dict[str, Any]]) -> list[str]:
    """Table rows of labels (intents or FAQ answers), worst first, with what each was taken for."""
    rows = []
    for name, row in sorted(labels.items(), key=lambda item: (item[1]["f1"], item[0])):
        confused = ", ".join(f"{k} ({v})" for k, v in row["confused_with"].items())
        rows.append(
            f"| {name} | {row['f1']:.3f} | {row['precision']:.3f} | {row['recall']:.3f} | {row['support']} | {confused} |"
        )
    return rows


def render_markdown(
    results: list[LanguageResult], folds: int, seed: int, generated: str, minutes: float, extractor: str
) -> str:
    """The report a person reads: summary first, then the weak spots, then every intent and entity."""
    lines = [
        "# NLU report: cross-validated understanding per language",
        "",
        f"Generated by `make nlu-report` on {generated}{f' ({minutes:.0f} min)' if minutes >= 1 else ''}: "
        f"{folds}-fold cross-validation (folds drawn with seed {seed}) "
        "per language with the production `config.yml` (FallbackClassifier included: a fallback counts as "
        f"a miss). Targets: intent macro F1 ≥ {INTENT_TARGET:.2f}, entity F1 ({extractor}, "
        f"macro over entities) ≥ {ENTITY_TARGET:.2f}, per language. Retrieval intents (`faq/…`) count "
        "as their base intent here.",
        "",
        "| language | examples | intent macro F1 | intent target | entity macro F1 | entity micro F1 | entity target |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.language} | {r.examples} | {r.intent_macro_f1:.3f} | {_verdict(r.intent_target_met)} "
            f"| {_format_f1(r.entity_macro_f1)} | {_format_f1(r.entity_micro_f1)} "
            f"| {_verdict(r.entity_target_met)} |"
        )
    for r in results:
        lines += [
            "",
            f"## {r.language}: intents (worst first)",
            "",
            "| intent | F1 | precision | recall | support | confused with |",
            "|---|---:|---:|---:|---:|---|",
        ]
        lines += _confusion_rows(r.intents)
        lines += [
            "",
            f"## {r.language}: entities",
            "",
            "| entity | F1 | precision | recall | support |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, row in sorted(r.entities.items(), key=lambda item: (item[1]["f1"], item[0])):
            lines.append(
                f"| {name} | {row['f1']:.3f} | {row['precision']:.3f} | {row['recall']:.3f} | {row['support']} |"
            )
        if r.responses:
            lines += [
                "",
                f"## {r.language}: FAQ answers picked (macro F1 {_format_f1(r.response_macro_f1)}, worst first)",
                "",
                "| answer | F1 | precision | recall | support | confused with |",
                "|---|---:|---:|---:|---:|---|",
            ]
            lines += _confusion_rows(r.responses)
    lines += ["", "Rasa's own reports and the misclassified examples: `reports/nlu/<language>/`.", ""]
    return "\n".join(lines)


def print_summary(results: list[LanguageResult]) -> None:
    """The summary on the terminal, loud about a missed target."""
    missed = []
    for r in results:
        worst = ", ".join(
            f"{name} {row['f1']:.3f}" for name, row in sorted(r.intents.items(), key=lambda item: item[1]["f1"])[:3]
        )
        print(
            f"[{r.language}] intent macro F1 {r.intent_macro_f1:.3f} ({_verdict(r.intent_target_met)}), "
            f"entity macro F1 {_format_f1(r.entity_macro_f1)} ({_verdict(r.entity_target_met)}); "
            f"worst intents: {worst}"
        )
        if not r.intent_target_met:
            missed.append(f"{r.language} intent macro F1 {r.intent_macro_f1:.3f} < {INTENT_TARGET}")
        if not r.entity_target_met:
            missed.append(f"{r.language} entity F1 {_format_f1(r.entity_macro_f1)} < {ENTITY_TARGET}")
    if missed:
        banner = "!" * 72
        print(f"{banner}\nNLU TARGETS MISSED: {'; '.join(missed)}\n{banner}")
    else:
        print("All NLU targets met.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="folds per language (Rasa's default, 5)")
    parser.add_argument("--seed", type=int, default=0, help="the seed the folds are drawn with")
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config.yml")
    parser.add_argument("--domain", type=Path, default=REPO_ROOT / "domain.yml")
    parser.add_argument("--data", type=Path, default=REPO_ROOT / "data" / "nlu")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "nlu")
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES), choices=LANGUAGES)
    # Rewrites latest.md/json from the per-language reports already in --out, without training.
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--note", default="", help="a line added under the report's header (what data was measured)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("rasa", "tensorflow", "absl", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    started = time.monotonic()
    if not args.report_only:
        config = TrainingDataImporter.load_from_dict(config_path=str(args.config)).get_config()
        halves = split_by_language(load_nlu_data(args.data, args.domain, args.config))
        for language in args.languages:
            data = halves[language]
            count = len(data.training_examples)
            logger.info("Cross-validating %s: %d examples, %d folds...", language, count, args.folds)
            run_cross_validation(config, data, args.folds, args.out / language, args.seed)
    extractor = entity_extractor(args.config)
    results = [read_result(language, args.out / language, extractor) for language in args.languages]

    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    minutes = (time.monotonic() - started) / 60
    args.out.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(results, args.folds, args.seed, generated, minutes, extractor)
    if args.note:
        header, rest = markdown.split("\n\n", 1)
        markdown = f"{header}\n\n> {args.note}\n\n{rest}"
    (args.out / "latest.md").write_text(markdown)
    summary = {
        "generated": generated,
        "folds": args.folds,
        "seed": args.seed,
        "config": str(args.config.relative_to(REPO_ROOT))
        if args.config.is_relative_to(REPO_ROOT)
        else str(args.config),
        "targets": {"intent_macro_f1": INTENT_TARGET, "entity_f1": ENTITY_TARGET},
        "languages": {
            r.language: asdict(r) | {"intent_target_met": r.intent_target_met, "entity_target_met": r.entity_target_met}
            for r in results
        },
    }
    (args.out / "latest.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print_summary(results)
    print(
        f"Report: {(args.out / 'latest.md').relative_to(REPO_ROOT) if args.out.is_relative_to(REPO_ROOT) else args.out}"
    )


if __name__ == "__main__":
    main()
