"""A file the app hands to the browser to download."""

from dataclasses import dataclass

HTML_MIME = "text/html"


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    mime: str
    data: bytes
    rows: int
