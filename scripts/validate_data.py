"""`rasa data validate`, failing on every warning but one kind that Rasa 3.6 gets wrong.

Rasa counts a response as used only when a story or rule names it. Responses that forms ask
with (`utter_ask_<slot>`, `utter_ask_<form>_<slot>`) and responses our actions send by name
(`response="utter_..."` in actions/) are used all the same; for exactly those this script checks
the use itself instead. Any other warning fails, as with --fail-on-warnings.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
UNUSED = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule\.")
# Rasa adds retrieval intents (faq) from the NLU data to the domain and warns that domain.yml lists them
# too; the stories need them listed, so this one warning is expected.
RETRIEVAL_DUPLICATE = re.compile(r"duplicated intents have been found across multiple domain files: faq$")
WARNING = re.compile(r"(UserWarning|FutureWarning|Warning): (.*)")


def responses_used_elsewhere() -> set[str]:
    """Responses asked by forms or sent by name from the actions' code."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    asked = {
        name
        for form, spec in (domain.get("forms") or {}).items()
        for slot in spec.get("required_slots", [])
        for name in (f"utter_ask_{slot}", f"utter_ask_{form}_{slot}")
    }
    code = "\n".join(path.read_text() for path in (ROOT / "actions").rglob("*.py"))
    sent = set(re.findall(r"[\"'](utter_\w+)[\"']", code))
    return asked | sent


def main() -> int:
    """Runs the validation and reports what is wrong."""
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "rasa"), "data", "validate", "--config", "config.yml",
         "--domain", "domain.yml", "--data", "data"],
        cwd=ROOT, capture_output=True, text=True,
    )
    output = result.stdout + result.stderr
    justified = responses_used_elsewhere()
    problems = []
    for line in output.splitlines():
        unused = UNUSED.search(line)
        if unused:
            if unused.group(1) not in justified:
                problems.append(f"response {unused.group(1)} is used nowhere")
            continue
        warning = WARNING.search(line)
        if warning and RETRIEVAL_DUPLICATE.search(warning.group(2)):
            continue
        if warning and "rasa" in line and "DeprecationWarning" not in line and "MovedIn20Warning" not in line:
            problems.append(warning.group(2))
    if result.returncode != 0:
        problems.append(f"rasa data validate exited with {result.returncode}")
    for problem in problems:
        print(f"data validation: {problem}", file=sys.stderr)
    if problems:
        print(output[-3000:], file=sys.stderr)
        return 1
    print("rasa data validate: clean (responses used by forms and actions checked in the code).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
