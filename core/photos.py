"""A visitor's optional profile photo: checked, shrunk and re-encoded before it is stored.

An upload is untrusted bytes. Only JPEG and PNG are accepted, judged by Pillow from the content
(never by the file name): `verify()` first, which reads the whole file without decoding it,
then a fresh open to decode, because a verified image object cannot be used any more. What is
stored is always a new small JPEG drawn from the decoded pixels, so nothing else the upload
carried (EXIF with a location, trailing data, a crafted chunk) survives.
"""

import io
from datetime import datetime

import sqlalchemy as sa
from PIL import Image, ImageOps
from sqlalchemy.engine import Connection, Engine

from core import audit
from core.actors import Actor
from core.db import run_in_transaction
from core.errors import NotAllowed, ValidationError
from core.schema import visitor_photos

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ACCEPTED_FORMATS = ("JPEG", "PNG")
SIDE = 256
# A 5 MB PNG can still claim 20000x20000 pixels and decode to gigabytes: refuse it unread.
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85


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
            if probe.format not in ACCEPTED_FORMATS or probe.width * probe.height > MAX_PIXELS:
                raise ValidationError("photo_invalid", field="photo")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # phones store portrait shots sideways plus an orientation tag; apply it
            upright = ImageOps.exif_transpose(image)
            square = ImageOps.fit(_as_rgb(upright), (SIDE, SIDE), Image.Resampling.LANCZOS)
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001
        # Crafted or truncated files make Pillow raise all sorts (OSError, SyntaxError,
        # struct.error, DecompressionBombError...): for an upload each one means "not a photo".
        raise ValidationError("photo_invalid", field="photo") from exc
    out = io.BytesIO()
    square.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


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
