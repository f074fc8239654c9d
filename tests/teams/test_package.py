"""`make teams-package`: the zip a Teams admin uploads holds a valid manifest and icons of the right size."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

from tests.conftest import REPO_ROOT

APP_ID = "6f1c3e52-8a4b-4c1d-9e2f-0a1b2c3d4e5f"
SCRIPT = REPO_ROOT / "scripts" / "teams_package.py"


def build(out: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TEAMS_")}
    return subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], env={**environment, **env},
                          capture_output=True, text=True, timeout=60)


def png_info(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and the RGBA pixels of a PNG as our writer (and most tools) store it: one IDAT, no filter."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = {}, 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind, body = data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        chunks[kind] = chunks.get(kind, b"") + body
        offset += 12 + length
    width, height, depth, color_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color_type) == (8, 6)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 4 * width
    pixels = [struct.unpack("4B", raw[y * stride + 1 + 4 * x:y * stride + 5 + 4 * x])
              for y in range(height) for x in range(width)]
    return width, height, pixels


def test_the_package_has_a_manifest_with_our_bot_and_both_icons(tmp_path: Path) -> None:
    out = tmp_path / "dist" / "teams-app.zip"
    result = build(out, TEAMS_APP_ID=APP_ID, TEAMS_PUBLIC_URL="https://portaal.voorbeeld.nl")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as package:
        assert set(package.namelist()) == {"manifest.json", "en.json", "color.png", "outline.png"}
        manifest = json.loads(package.read("manifest.json"))
        english = json.loads(package.read("en.json"))
        color = png_info(package.read("color.png"))
        outline = png_info(package.read("outline.png"))
    assert manifest["$schema"].endswith(f"/v{manifest['manifestVersion']}/MicrosoftTeams.schema.json")
    assert manifest["id"] == APP_ID
    assert [bot["botId"] for bot in manifest["bots"]] == [APP_ID]
    assert manifest["bots"][0]["scopes"] == ["personal"]
    assert manifest["validDomains"] == ["portaal.voorbeeld.nl"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    # the limits Teams' validation enforces
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["name"]["full"]) <= 100
    assert len(manifest["description"]["short"]) <= 80 and len(manifest["description"]["full"]) <= 4000
    assert manifest["developer"]["privacyUrl"].startswith("https://")
    assert manifest["localizationInfo"]["additionalLanguages"] == [{"languageTag": "en-us", "file": "en.json"}]
    assert "Werkgeversportaal" in manifest["name"]["short"] and english["name.short"] == "Employer portal"
    assert len(english["description.short"]) <= 80
    assert color[:2] == (192, 192) and all(alpha == 255 for *_, alpha in color[2])
    assert outline[:2] == (32, 32)
    # the outline icon is white on transparent, nothing else
    assert {pixel for pixel in outline[2]} == {(255, 255, 255, 255), (0, 0, 0, 0)}


def test_without_an_app_id_it_fails_and_says_what_to_set(tmp_path: Path) -> None:
    out = tmp_path / "teams-app.zip"
    result = build(out)
    assert result.returncode != 0
    assert "TEAMS_APP_ID is not set" in result.stderr
    assert not out.exists()
