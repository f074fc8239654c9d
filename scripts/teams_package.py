"""Builds the Teams app package (dist/teams-app.zip) that a Teams admin uploads: manifest and two icons.

The bot id comes from TEAMS_APP_ID (the Azure Bot's Microsoft App ID); the public address from
TEAMS_PUBLIC_URL. Standard library only, so any of the project's Pythons can run it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

MANIFEST_VERSION = "1.22"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.Localization.schema.json"
)
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ACCENT = (0x00, 0x5A, 0x9C)  # the portal's blue
WHITE = (0xFF, 0xFF, 0xFF)

# The manifest's default language is Dutch; en.json carries the English texts.
TEXTS = {
    "nl": {
        "name.short": "Werkgeversportaal",
        "name.full": "Werkgeversportaal – digitale assistent",
        "description.short": "Geef wijzigingen van uw deelnemers door via de digitale assistent.",
        "description.full": "De digitale assistent van het werkgeversportaal. Geef een salariswijziging, een "
        "uitdiensttreding of een partner of kind door, vraag naar de status van een wijziging, of laat u "
        "doorverbinden met de servicedesk. Koppel eerst uw portaalaccount met uw gebruikersnaam en de code uit "
        "uw authenticator-app.",
    },
    "en": {
        "name.short": "Employer portal",
        "name.full": "Employer portal – digital assistant",
        "description.short": "Report changes for your participants through the digital assistant.",
        "description.full": "The employer portal's digital assistant. Report a salary change, a termination or a "
        "partner or child, ask about the status of a change, or be put through to the service desk. First link "
        "your portal account with your username and the code from your authenticator app.",
    },
}


class PackageError(Exception):
    """The configuration does not allow a valid package; the message says what to set."""


def png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int, int]]) -> bytes:
    """An RGBA PNG drawn by a function of (x, y): the smallest PNG writer that Teams accepts."""
    rows = b"".join(
        b"\x00" + b"".join(struct.pack("4B", *pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def in_speech_bubble(x: float, y: float) -> bool:
    """A speech bubble in the unit square: a rounded body and a tail at the bottom left."""
    left, top, right, bottom, radius = 0.15, 0.2, 0.85, 0.65, 0.08
    dx = max(left + radius - x, 0.0, x - (right - radius))
    dy = max(top + radius - y, 0.0, y - (bottom - radius))
    body = left <= x <= right and top <= y <= bottom and dx * dx + dy * dy <= radius * radius
    tail = 0.28 <= x <= 0.45 and 0.65 <= y <= 0.82 and (y - 0.65) <= (0.45 - x)
    return body or tail


def color_icon() -> bytes:
    """192×192, full colour: a white speech bubble on the accent colour."""
    size = 192
    return png(size, size, lambda x, y: (*(WHITE if in_speech_bubble(x / size, y / size) else ACCENT), 255))


def outline_icon() -> bytes:
    """32×32, white on transparent, as Teams requires for the outline icon."""
    size = 32
    return png(size, size, lambda x, y: (*WHITE, 255) if in_speech_bubble(x / size, y / size) else (0, 0, 0, 0))


def manifest(app_id: str, public_url: str, version: str) -> dict:
    """The app manifest: one bot, personal scope, Dutch by default with an English localization."""
    host = urlparse(public_url).hostname
    if not public_url.startswith("https://") or not host:
        raise PackageError(f"TEAMS_PUBLIC_URL must be an https:// address, not {public_url!r}.")
    nl = TEXTS["nl"]
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": "Werkgeversportaal",
            "websiteUrl": public_url,
            "privacyUrl": f"{public_url.rstrip('/')}/privacy",
            "termsOfUseUrl": f"{public_url.rstrip('/')}/voorwaarden",
        },
        "name": {"short": nl["name.short"], "full": nl["name.full"]},
        "description": {"short": nl["description.short"], "full": nl["description.full"]},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "localizationInfo": {
            "defaultLanguageTag": "nl-nl",
            "additionalLanguages": [{"languageTag": "en-us", "file": "en.json"}],
        },
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal"],
                "supportsFiles": False,
                "isNotificationOnly": False,
            }
        ],
        "validDomains": [host],
    }


def english() -> dict:
    """en.json: the English name and descriptions."""
    return {"$schema": LOCALIZATION_SCHEMA, **TEXTS["en"]}


def build(out: Path, app_id: str, public_url: str, version: str) -> Path:
    """Writes the package; PackageError when the configuration is incomplete."""
    if not app_id:
        raise PackageError(
            "TEAMS_APP_ID is not set: use the Microsoft App ID of the Azure Bot registration, e.g. "
            "TEAMS_APP_ID=00000000-0000-0000-0000-000000000000 make teams-package"
        )
    if not GUID.match(app_id):
        raise PackageError(f"TEAMS_APP_ID must be a GUID (the Azure Bot's Microsoft App ID), not {app_id!r}.")
    content = {
        "manifest.json": json.dumps(manifest(app_id, public_url, version), ensure_ascii=False, indent=2),
        "en.json": json.dumps(english(), ensure_ascii=False, indent=2),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in content.items():
            package.writestr(name, text.encode())
        package.writestr("color.png", color_icon())
        package.writestr("outline.png", outline_icon())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    return out


def main(argv: list[str] | None = None) -> int:
    """`python scripts/teams_package.py [--out dist/teams-app.zip]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("dist/teams-app.zip"))
    parser.add_argument("--version", default=os.environ.get("TEAMS_APP_VERSION", "1.0.0"))
    args = parser.parse_args(argv)
    try:
        path = build(
            args.out,
            os.environ.get("TEAMS_APP_ID", "").strip(),
            os.environ.get("TEAMS_PUBLIC_URL", "https://werkgeversportaal.example.nl").strip(),
            args.version,
        )
    except PackageError as error:
        print(f"teams-package: {error}", file=sys.stderr)
        return 2
    print(f"Teams app package written to {path}; upload it in Teams (Apps > Manage your apps > Upload an app).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
