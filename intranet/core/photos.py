"""Photos from tablet cameras: checked to be real images, shrunk to a sensible size, stored under
the photo folder, recorded as `Photo` rows."""
from __future__ import annotations

import io
import uuid
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from intranet import clock
from intranet.core.models import Photo
from intranet.errors import DomainError
from intranet.extensions import db

MAX_UPLOAD_BYTES = 12 * 1024 * 1024  # a 48-megapixel phone photo is about 10 MB
MAX_SIDE = 1600  # plenty to show a scratch, and a tenth of the disk
# The largest picture taken: a 48-megapixel phone photo fits; Pillow itself only warns up to twice
# its limit, so the size is checked before the picture is decoded (a decompression bomb never is).
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def save_photo(upload, *, store_id: int, taken_by_id: int | None, folder: str | Path, field: str = "photos",
               **owner) -> Photo:
    """`upload` is a file-like object (werkzeug FileStorage). `owner` names what it belongs to,
    e.g. finding_id=…; flushes the Photo row."""
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        raise DomainError(_l("The photo is empty."), field=field)
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(_l("The photo is larger than %(mb)d MB. Take it again at a lower resolution.",
                             mb=MAX_UPLOAD_BYTES // (1024 * 1024)), field=field)
    try:
        Image.open(io.BytesIO(data)).verify()
        header = Image.open(io.BytesIO(data))  # reads the size, decodes nothing yet
        if header.width * header.height > MAX_PIXELS:
            raise DomainError(_l("“%(name)s” is too large a picture (at most %(mp)d megapixels). Take it again at a "
                                 "lower resolution.", name=getattr(upload, "filename", "") or "?",
                                 mp=MAX_PIXELS // 1_000_000), field=field)
        image = ImageOps.exif_transpose(header)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, ValueError):
        raise DomainError(_l("“%(name)s” is not a photo (JPEG, PNG, HEIC-converted JPEG…).",
                             name=getattr(upload, "filename", "") or "?"), field=field) from None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        # a signature drawn on a transparent canvas: ink on white paper, not on black
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        image = paper
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    now = clock.utcnow()
    relative = Path(f"{now:%Y/%m}") / f"{uuid.uuid4().hex}.jpg"
    target = Path(folder) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, "JPEG", quality=85, optimize=True)
    photo = Photo(store_id=store_id, path=str(relative), width=image.width, height=image.height,
                  bytes=target.stat().st_size, taken_by_id=taken_by_id, taken_at=now, **owner)
    db.session.add(photo)
    db.session.flush()
    return photo
