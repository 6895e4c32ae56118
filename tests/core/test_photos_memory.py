"""The pixel budget: what one public upload may make the server decode, and six at once.

The memory test runs this module as a fresh process (`python -m tests.core.test_photos_memory
FILE`), so the peak it reads is that of six photo uploads and nothing else the suite did.
"""

import io
import math
import struct
import subprocess
import sys
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from core.errors import ValidationError
from core.photos import MAX_PIXELS, prepare_photo
from tests.backend import on_postgres

ROOT = Path(__file__).resolve().parents[2]
UPLOADS_AT_ONCE = 6
MiB = 2**20


def largest_accepted_size() -> tuple[int, int]:
    width = math.isqrt(MAX_PIXELS)
    return width, MAX_PIXELS // width


def ramps(size: tuple[int, int], mode: str) -> Image.Image:
    """Smooth colour (and transparency) ramps: every pixel differs, yet the file stays small."""
    ramp = Image.linear_gradient("L")
    across, down = ramp.rotate(90).resize(size), ramp.resize(size)
    return Image.merge(mode, [across, down, Image.new("L", size, 90), down.rotate(180)][: len(mode)])


def encoded(image: Image.Image, fmt: str, **save) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


# The costliest uploads the budget lets in: a PNG is decoded whole, 4 bytes a pixel with its
# alpha; a progressive JPEG makes libjpeg keep all its coefficients, most of them for CMYK, 4:4:4.
WORST = {
    "transparent png": lambda size: encoded(ramps(size, "RGBA"), "PNG"),
    "progressive cmyk jpeg": lambda size: encoded(ramps(size, "CMYK"), "JPEG", quality=95, progressive=True, subsampling=0),
}


def peak_rss() -> int:
    """This process's peak resident memory so far, in bytes (Linux).

    Not `ru_maxrss`: Linux carries the parent's peak over into a child it starts, so a child
    of a test process that has just built a large image would start with that peak already.
    """
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) * 1024  # counted in kB


def peak_growth_of_uploads_at_once(data: bytes) -> int:
    """Prepare the photo from UPLOADS_AT_ONCE threads released together; the peak memory it added."""
    before = peak_rss()
    start = threading.Barrier(UPLOADS_AT_ONCE, timeout=60)

    def upload(photo: bytes) -> bytes:
        start.wait()
        return prepare_photo(photo)

    with ThreadPoolExecutor(UPLOADS_AT_ONCE) as pool:
        list(pool.map(upload, [data] * UPLOADS_AT_ONCE))
    return peak_rss() - before


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from Linux /proc")
@pytest.mark.skipif(on_postgres(), reason="no database involved: the DuckDB pass runs it")
@pytest.mark.parametrize("kind", WORST)
def test_six_of_the_largest_photos_at_once_stay_under_300_mb(kind, tmp_path):
    upload = tmp_path / "upload"
    upload.write_bytes(WORST[kind](largest_accepted_size()))
    worker = subprocess.run(
        [sys.executable, "-m", "tests.core.test_photos_memory", str(upload)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert worker.returncode == 0, worker.stderr
    assert int(worker.stdout) < 300 * MiB


def test_one_row_over_the_budget_is_refused_with_the_limit_in_words():
    width, height = largest_accepted_size()
    with pytest.raises(ValidationError) as refused:
        prepare_photo(encoded(Image.new("1", (width, height + 1)), "PNG"))
    assert (refused.value.code, refused.value.field) == ("photo_too_many_pixels", "photo")
    assert f"не больше {MAX_PIXELS // 1_000_000} мегапикселей" in refused.value.message


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG that claims a size and holds no pixels: Pillow opens it from the header alone."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", zlib.compress(b"")) + png_chunk(b"IEND", b"")


def test_a_claim_of_a_billion_pixels_is_refused_as_too_many_not_as_garbage():
    with pytest.raises(ValidationError) as refused:
        prepare_photo(png_claiming(40_000, 25_000))  # past Pillow's own decompression-bomb cap
    assert (refused.value.code, refused.value.field) == ("photo_too_many_pixels", "photo")


@pytest.mark.parametrize("size", [(4032, 3024), (3024, 4032), (4608, 3456)], ids=["12 MP", "12 MP portrait", "16 MP"])
def test_a_phone_photo_is_accepted(size):
    stored = Image.open(io.BytesIO(prepare_photo(encoded(ramps(size, "RGB"), "JPEG", quality=90))))
    assert (stored.format, stored.size, stored.mode) == ("JPEG", (256, 256), "RGB")


if __name__ == "__main__":
    print(peak_growth_of_uploads_at_once(Path(sys.argv[1]).read_bytes()))
