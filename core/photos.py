"""A visitor's optional profile photo: checked, shrunk and re-encoded before it is stored.

An upload is untrusted bytes. Only JPEG and PNG are accepted, judged by Pillow from the content
(never by the file name): `verify()` first, which reads the whole file without decoding it,
then a fresh open to decode, because a verified image object cannot be used any more. What is
stored is always a new small JPEG drawn from the decoded pixels, so nothing else the upload
carried (EXIF with a location, trailing data, a crafted chunk) survives.

Memory is what an upload can cost the server: a 116 KB PNG may claim 40 million pixels. So the
pixel count is capped, decoding happens one upload at a time in the whole process, a JPEG is
decoded at 1/2, 1/4 or 1/8 scale straight away, and the one full-size copy a PNG needs is
shrunk in bands, never converted or turned whole.
"""

import io
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import sqlalchemy as sa
from PIL import ExifTags, Image, ImageOps
from sqlalchemy.engine import Connection, Engine

from core import audit
from core.actors import Actor
from core.db import run_in_transaction
from core.errors import NotAllowed, ValidationError
from core.schema import visitor_photos

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# MPO is how Pillow names a JPEG carrying extra pictures (depth maps, previews), as many
# phone cameras write them; only its first picture is read
ACCEPTED_FORMATS = ("JPEG", "MPO", "PNG")
SIDE = 256
# A 5 MB file can claim far more pixels than it holds (a flat 6300x6300 PNG is 116 KB), and
# decoding allocates for every pixel it claims. 4096x4096 takes every usual phone camera: 12 MP
# (4032x3024, 4080x3072), 13 MP (4208x3120) and 16 MP (4608x3456, 4656x3496). At this size a
# PNG decodes to 64 MB (Pillow keeps up to 4 bytes a pixel), a baseline phone JPEG drafted to
# 1/8 to about 4 MB; the costliest is a progressive JPEG, whose every DCT coefficient libjpeg
# keeps whatever the scale: 2 bytes a pixel per channel, 134 MB for a CMYK one.
MAX_PIXELS = 4096 * 4096
JPEG_QUALITY = 85
# Six uploads decoding together cost six images (2.6 GB for six 40 MP PNGs), so one thread
# decodes every upload, one after another, and the others wait a fraction of a second. A lock
# would serialise too, but the C allocator keeps freed memory in a pool per thread: six threads
# decoding in turn still ended up holding six images (400 MB for 16 MP PNGs); one thread reuses
# one pool.
_DECODER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-decoder")
# Rows of the reduced image made per band when a large image is shrunk (see _centre_square).
BAND_ROWS = 32


def prepare_photo(data: bytes | None) -> bytes:
    """Check an upload and return the JPEG to store: square, SIDE px, no metadata.

    Refuses (ValidationError on field "photo") an empty upload, more than 5 MB, anything that
    is not a whole JPEG or PNG, and images of more than MAX_PIXELS pixels.
    """
    if not data:
        raise ValidationError("photo_required", field="photo")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError("photo_too_big", field="photo")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError("photo_invalid", field="photo")
            if probe.width * probe.height > MAX_PIXELS:
                raise _too_many_pixels()
            probe.verify()
        square = _DECODER.submit(_upright_square, data).result()
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow's own cap, far above ours, refuses the most extreme claims before we can count
        raise _too_many_pixels() from exc
    except Exception as exc:  # noqa: BLE001
        # Crafted or truncated files make Pillow raise all sorts (OSError, SyntaxError,
        # struct.error...): for an upload each one means "not a photo".
        raise ValidationError("photo_invalid", field="photo") from exc
    out = io.BytesIO()
    square.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _too_many_pixels() -> ValidationError:
    return ValidationError("photo_too_many_pixels", field="photo", megapixels=MAX_PIXELS // 1_000_000)


def _upright_square(data: bytes) -> Image.Image:
    """Decode a checked upload into its centre square: SIDE px, RGB, turned as EXIF says."""
    with Image.open(io.BytesIO(data)) as image:
        # a JPEG decodes at the smallest of 1/8, 1/4, 1/2 that keeps both sides at least SIDE;
        # a PNG has no such option and ignores this
        image.draft(None, (SIDE, SIDE))
        image.load()
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        square = _centre_square(image)
    # Phones store portrait shots sideways plus an orientation tag. Turning a photo maps its
    # centre square onto itself, so turning the small square gives the same picture as turning
    # the full image, without a second full-size copy.
    square.getexif()[ExifTags.Base.Orientation] = orientation
    ImageOps.exif_transpose(square, in_place=True)
    return square


def _centre_square(image: Image.Image) -> Image.Image:
    """The image's centre square, shrunk to SIDE px and laid on white, without a full-size copy.

    Averaging boxes of pixels down to about twice SIDE, then Lanczos, is what Pillow's
    `resize(reducing_gap=2)` does; here the averaging goes band by band, each band first laid
    on white, because a palette or transparent image must become RGB before it can be averaged
    and converting it whole would copy it whole.
    """
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    factor = max(1, side // (2 * SIDE))
    reduced = Image.new("RGB", (math.ceil(side / factor),) * 2)
    band = factor * BAND_ROWS
    for y in range(0, side, band):
        rows = image.crop((left, top + y, left + side, top + min(y + band, side)))
        reduced.paste(_as_rgb(rows).reduce(factor), (0, y // factor))
    return reduced.resize((SIDE, SIDE), Image.Resampling.LANCZOS)


def _as_rgb(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: lay a transparent PNG on white instead of black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _check_owner(actor: Actor, visitor_id: int) -> None:
    # the visitor themself, or staff and volunteers helping at the desk; never a coordinator
    if actor.role == "coordinator" or (actor.role == "visitor" and actor.id != visitor_id):
        raise NotAllowed()


def save_photo(engine: Engine, visitor_id: int, data: bytes | None, actor: Actor, now: datetime) -> None:
    """Check and store a new photo for the visitor, replacing the old one."""
    _check_owner(actor, visitor_id)
    image = prepare_photo(data)

    def work(conn: Connection) -> None:
        exists = conn.execute(sa.select(visitor_photos.c.visitor_id).where(visitor_photos.c.visitor_id == visitor_id)).first()
        if exists:
            conn.execute(visitor_photos.update().where(visitor_photos.c.visitor_id == visitor_id).values(image=image, updated_at=now))
        else:
            conn.execute(visitor_photos.insert().values(visitor_id=visitor_id, image=image, updated_at=now))
        audit.record(conn, actor, now, "photo_set", "visitor", visitor_id, bytes=len(image))

    # two uploads racing for a first photo: the loser's insert is a duplicate, retried as an update
    run_in_transaction(engine, work, retry_duplicates=True)


def delete_photo(engine: Engine, visitor_id: int, actor: Actor, now: datetime) -> None:
    """Remove the visitor's photo (initials are shown again); also what erasing personal data needs."""
    _check_owner(actor, visitor_id)

    def work(conn: Connection) -> None:
        conn.execute(visitor_photos.delete().where(visitor_photos.c.visitor_id == visitor_id))
        audit.record(conn, actor, now, "photo_delete", "visitor", visitor_id)

    run_in_transaction(engine, work)


def load_photo(conn: Connection, visitor_id: int) -> bytes | None:
    """The stored JPEG, or None when the visitor has no photo."""
    return conn.execute(sa.select(visitor_photos.c.image).where(visitor_photos.c.visitor_id == visitor_id)).scalar()
