"""Files the user downloads (documents, exports): sent as attachments, in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from fastapi.responses import StreamingResponse

CHUNK = 64 * 1024
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chunks(content: bytes) -> Iterator[bytes]:
    view = memoryview(content)
    for start in range(0, len(view), CHUNK):
        yield bytes(view[start : start + CHUNK])


def attachment(content: bytes, filename: str, media_type: str) -> StreamingResponse:
    """The file as a download (never shown inline, so a PDF cannot run in the portal's origin), streamed in chunks."""
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "") or "download"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    headers = {
        "Content-Disposition": disposition,
        "Content-Length": str(len(content)),
        "X-Content-Type-Options": "nosniff",
        # Personal and financial data: not kept by shared caches.
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(_chunks(content), media_type=media_type, headers=headers)
