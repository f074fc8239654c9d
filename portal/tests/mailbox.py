"""Reading the portal's outbox as the README shows (`portal outbox`); no imports from the tests, so the
browser tests (another environment) can load this file too."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

# The portal environment's bin folder; the browser tests (another environment) pass theirs.
BIN = Path(sys.executable).parent

CODE = re.compile(r"(?<![\d.:])(\d{6})(?![\d.])")


def last_mail(portal: Any, to: str, bin_dir: Path = BIN) -> str | None:
    """The newest mail to an address, as `portal outbox --to <address> --last` prints it; None when there is none."""
    done = subprocess.run(
        [str(bin_dir / "portal"), "outbox", "--to", to, "--last"], env=portal.env, capture_output=True, text=True, timeout=60
    )
    return done.stdout if done.returncode == 0 else None


def code_in(mail: str | None) -> str:
    """The six-digit verification code in a mail."""
    assert mail, "no mail"
    match = CODE.search(mail.split("\n\n", 1)[1])
    assert match, mail
    return match.group(1)


def subject_of(mail: str | None) -> str:
    """The subject line of a mail printed by `portal outbox`."""
    assert mail, "no mail"
    return re.search(r"^Subject: (.*)$", mail, re.MULTILINE).group(1)
