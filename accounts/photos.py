"""Doctors' photos: checked to be a real image, then re-encoded, so nothing the uploader sent is stored as is.

Re-encoding drops EXIF (GPS position, camera, the original file's tricks) and
anything appended to the image data; the size check and Pillow's pixel limit
(checked before any pixel is decoded) keep a small file that unpacks into
gigabytes, a decompression bomb, from taking the server's memory.
"""

import io
import warnings

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.exceptions import InvalidPhoto

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# A 24-megapixel camera photo fits; a bomb declaring 50,000 × 50,000 pixels is refused before decoding.
MAX_PHOTO_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
ACCEPTED_CONTENT_TYPES = "image/jpeg,image/png,image/webp"
PHOTO_SIZE = 400


def reencoded_photo(upload):
    """A square PHOTO_SIZE-pixel JPEG (ContentFile) made from ``upload``, or InvalidPhoto saying what is wrong."""
    if upload.size > MAX_PHOTO_BYTES:
        raise InvalidPhoto(_("The photo is larger than 5 MB. Choose a smaller one."))
    too_many_pixels = InvalidPhoto(_("The photo has too many pixels. Choose one of at most 40 megapixels."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=sorted(ACCEPTED_FORMATS)) as image:
                width, height = image.size
                if width * height > MAX_PHOTO_PIXELS:
                    raise too_many_pixels
                image.load()
                square = _square(ImageOps.exif_transpose(image))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise InvalidPhoto(_("This file is not a JPEG, PNG or WebP image.")) from None
    encoded = io.BytesIO()
    square.save(encoded, format="JPEG", quality=85, optimize=True)
    return ContentFile(encoded.getvalue(), name="photo.jpg")


def _square(image):
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    else:
        image = image.convert("RGB")
    # Faces sit in the upper part of most portraits.
    return ImageOps.fit(image, (PHOTO_SIZE, PHOTO_SIZE), method=Image.Resampling.LANCZOS, centering=(0.5, 0.35))
