"""Content checks for uploaded photos and PDFs (a lot's photos and documents, a licence's PDF, handover papers).

Nothing here trusts the uploaded name or the browser's content type: the format comes from the bytes.
Photos are decoded and re-encoded from their pixels alone, because phone photos carry the GPS position
(and often the owner's name) in their metadata and other members download them. PDFs are kept as they are,
but only when they look complete and carry none of the markers of active content, because officials open
them on their own machines.
"""

import io
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

try:
    from PIL import ImageCms
except ImportError:  # Pillow built without LittleCMS: colours are converted without profiles
    ImageCms = None

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # per photo
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # per PDF
MAX_PIXELS = 40_000_000  # decompression-bomb limit (width*height)
THUMBNAIL_SIZE = (480, 360)

PHOTO_QUALITY = 85
THUMBNAIL_QUALITY = 80

# Pillow's detected format -> the format we store. Phones write "MPO" (a JPEG followed by depth or HDR
# pictures): we keep the first picture as a plain JPEG.
_PHOTO_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP")  # Pillow opens MPO with its JPEG plugin
_STORED = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
_SAVE_OPTIONS = {
    "JPEG": {"quality": PHOTO_QUALITY, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": PHOTO_QUALITY},
}
_PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA"}

# What Pillow raises on malformed input (its own fuzzers see all of these); each becomes a refusal.
_DECODE_ERRORS = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    OverflowError,
    NotImplementedError,
    MemoryError,
)

_PDF_HEADER = re.compile(rb"%PDF-\d\.\d")
_PDF_EOF_WINDOW = 2048
# A name is followed by whitespace, a delimiter or the end of the file; "/JSFoo" is another name.
_NAME_END = rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)"
_ACTIVE_NAME = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?)" + _NAME_END)
# Long enough never to occur by chance in compressed data, so these are also looked for inside streams.
_ACTIVE_LONG_NAME = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?)" + _NAME_END)
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM_START = re.compile(rb"\bstream(?:\r\n|\n|\r)")
_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm" + _NAME_END)
_FLATE = re.compile(rb"/FlateDecode" + _NAME_END)
_OTHER_FILTER = re.compile(rb"/(?:ASCIIHexDecode|ASCII85Decode|LZWDecode|RunLengthDecode|Crypt|AHx|A85|LZW|RL)")
_FILTER = re.compile(rb"/Filter" + _NAME_END)
# Object streams of real PDFs inflate to a few MB; more than this is a zip bomb or not worth the memory.
_MAX_INFLATED_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class CleanUpload:
    """What may be stored for an attachment: the checked bytes and what they are."""

    content: bytes  # what we store (re-encoded image, or the PDF bytes)
    extension: str  # "jpg", "png", "webp" or "pdf" — from the content, never from the uploaded name
    content_type: str  # "image/jpeg", "image/png", "image/webp", "application/pdf"
    thumbnail: bytes | None  # JPEG thumbnail for photos, None for PDFs
    width: int | None
    height: int | None


def clean_photo(uploaded: UploadedFile) -> CleanUpload:
    """Check a JPEG, PNG or WebP photo and re-encode it without metadata; refuse anything else."""
    name = _display_name(uploaded)
    data = _read_within(
        uploaded,
        MAX_PHOTO_BYTES,
        ValidationError(
            _("“%(name)s” is too large: a photo may be at most %(limit)s MB."),
            code="file_too_large",
            params={"name": name, "limit": MAX_PHOTO_BYTES // (1024 * 1024)},
        ),
    )
    try:
        with _strict_pillow():
            picture, save_format = _decode(data, name)
            picture = _without_metadata(picture, save_format)
            content = _encode(picture, save_format, **_SAVE_OPTIONS[save_format])
            width, height = picture.size
            thumbnail = _thumbnail(picture)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels(name) from error
    except UnidentifiedImageError as error:
        raise _not_a_photo(name) from error
    except _DECODE_ERRORS as error:
        raise ValidationError(
            _("“%(name)s” is damaged or incomplete and could not be read as an image."),
            code="damaged_image",
            params={"name": name},
        ) from error
    extension, content_type = _STORED[save_format]
    return CleanUpload(content, extension, content_type, thumbnail, width, height)


def clean_document(uploaded: UploadedFile) -> CleanUpload:
    """Check a lab report or safety data sheet: a complete PDF without active content, stored as uploaded."""
    name = _display_name(uploaded)
    data = _read_within(
        uploaded,
        MAX_DOCUMENT_BYTES,
        ValidationError(
            _("“%(name)s” is too large: a document may be at most %(limit)s MB."),
            code="file_too_large",
            params={"name": name, "limit": MAX_DOCUMENT_BYTES // (1024 * 1024)},
        ),
    )
    if not _PDF_HEADER.match(data):
        raise ValidationError(_("“%(name)s” is not a PDF."), code="not_a_pdf", params={"name": name})
    if b"%%EOF" not in data[-_PDF_EOF_WINDOW:]:
        raise ValidationError(
            _("“%(name)s” is an incomplete PDF: its end is missing. Please upload it again."),
            code="incomplete_pdf",
            params={"name": name},
        )
    _check_pdf_is_passive(data, name)
    return CleanUpload(data, "pdf", "application/pdf", None, None, None)


def _display_name(uploaded: UploadedFile) -> str:
    """The name the user chose, for messages only (Django has already stripped any directories)."""
    return uploaded.name or gettext("the file")


def _read_within(uploaded: UploadedFile, limit: int, too_large: ValidationError) -> bytes:
    """Read the whole upload, refusing by the declared size before reading and by the real size while reading."""
    if uploaded.size is not None and uploaded.size > limit:
        raise too_large
    uploaded.seek(0)
    data = uploaded.read(limit + 1)
    uploaded.seek(0)
    if len(data) > limit:
        raise too_large
    return data


@contextmanager
def _strict_pillow() -> Iterator[None]:
    """Make Pillow refuse truncated files and treat its decompression-bomb warning as an error, for this call only.

    LOAD_TRUNCATED_IMAGES is a Pillow global that other code may have switched on; the previous value is restored.
    Both are process-wide: with threads, another thread may briefly see them too, which only makes it stricter.
    """
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _decode(data: bytes, name: str) -> tuple[Image.Image, str]:
    """Open, verify and fully decode the first picture; the pixel count is checked from the header first."""
    with Image.open(io.BytesIO(data), formats=_OPEN_FORMATS) as probe:
        if probe.format not in _PHOTO_FORMATS:
            raise _not_a_photo(name)
        _check_pixels(probe.size, name)
        probe.verify()
    # verify() leaves the image unusable, and a JPEG's truncation only shows when decoding: open it again.
    image = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
    if image.format not in _PHOTO_FORMATS:
        raise _not_a_photo(name)
    _check_pixels(image.size, name)
    image.load()
    return image, _PHOTO_FORMATS[image.format]


def _check_pixels(size: tuple[int, int], name: str) -> None:
    """A small file can decode to gigabytes: refuse by the header's dimensions, before decoding."""
    width, height = size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels(name)


def _without_metadata(image: Image.Image, save_format: str) -> Image.Image:
    """Turn the picture upright, in sRGB, in a mode the format can store, and forget everything but the pixels."""
    picture = ImageOps.exif_transpose(image)  # a copy, with only the first frame of MPO/APNG/animated WebP
    image.close()
    picture = _to_srgb(picture)
    has_alpha = picture.has_transparency_data
    if save_format == "JPEG":
        if picture.mode not in ("L", "RGB"):
            picture = picture.convert("RGB")
    elif save_format == "PNG":
        if picture.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
            picture = picture.convert("I").point(lambda value: value / 257).convert("L")
        if has_alpha and picture.mode not in ("LA", "RGBA"):
            picture = picture.convert("RGBA")  # also turns a PNG's tRNS transparency into an alpha channel
        elif picture.mode not in _PNG_MODES:
            picture = picture.convert("RGB")
    elif picture.mode != ("RGBA" if has_alpha else "RGB"):
        picture = picture.convert("RGBA" if has_alpha else "RGB")
    # The encoders copy some of these (JPEG comments, PNG ICC profiles) unless they are gone.
    picture.info = {}
    return picture


def _to_srgb(picture: Image.Image) -> Image.Image:
    """Apply an embedded colour profile before it is dropped, so that wide-gamut or CMYK photos keep their colours."""
    icc = picture.info.get("icc_profile")
    if not icc or ImageCms is None or picture.mode not in ("RGB", "RGBA", "CMYK"):
        return picture
    try:
        return ImageCms.profileToProfile(
            picture,
            ImageCms.ImageCmsProfile(io.BytesIO(icc)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGBA" if picture.mode == "RGBA" else "RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return picture  # a broken profile: keep the pixels as they are rather than refuse the photo


def _encode(picture: Image.Image, save_format: str, **options: object) -> bytes:
    """Save to a new buffer, passing no metadata, so the output holds only what we give it."""
    buffer = io.BytesIO()
    picture.save(buffer, format=save_format, **options)
    return buffer.getvalue()


def _thumbnail(picture: Image.Image) -> bytes:
    """A small JPEG for lists; transparent areas become white. Resizes `picture` in place (it is no longer needed)."""
    if picture.mode not in ("L", "LA", "RGB", "RGBA"):
        picture = picture.convert("RGBA" if picture.has_transparency_data else "RGB")
    picture.thumbnail(THUMBNAIL_SIZE)
    if picture.mode in ("LA", "RGBA"):
        background = Image.new("RGB", picture.size, "white")
        background.paste(picture.convert("RGBA"), mask=picture.getchannel("A"))
        picture = background
    elif picture.mode != "RGB":
        picture = picture.convert("RGB")
    return _encode(picture, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)


def _not_a_photo(name: str) -> ValidationError:
    return ValidationError(_("“%(name)s” is not a JPEG, PNG or WebP image."), code="not_a_photo", params={"name": name})


def _too_many_pixels(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is too large in pixels: a photo may have at most %(megapixels)s megapixels."),
        code="too_many_pixels",
        params={"name": name, "megapixels": f"{MAX_PIXELS / 1_000_000:g}"},
    )


def _check_pdf_is_passive(data: bytes, name: str) -> None:
    """Refuse JavaScript, launch actions and embedded files, wherever a PDF viewer would find them.

    Names may be spelled with #xx escapes, and modern PDFs keep their dictionaries in compressed object streams,
    so both are undone before looking. Other streams (pictures, page content) are binary and are only searched
    for the long names, which never occur there by chance. This is a screen, not a proof: serve PDFs as downloads.
    """
    active = ValidationError(
        _(
            "“%(name)s” contains active content (JavaScript, launch actions or embedded files), "
            "which is not accepted. Please upload a plain PDF."
        ),
        code="active_pdf",
        params={"name": name},
    )
    unreadable = ValidationError(
        _(
            "“%(name)s” could not be checked for active content (it may be encrypted or password-protected). "
            "Please upload an unprotected copy."
        ),
        code="unchecked_pdf",
        params={"name": name},
    )
    if _ACTIVE_LONG_NAME.search(_unescape_names(data)):
        raise active
    outside, streams = _split_streams(data)
    if _ACTIVE_NAME.search(_unescape_names(outside)):
        raise active
    budget = _MAX_INFLATED_BYTES
    for dictionary, body in streams:
        dictionary = _unescape_names(dictionary)
        if not _OBJECT_STREAM.search(dictionary):
            continue
        if _OTHER_FILTER.search(dictionary) or (_FILTER.search(dictionary) and not _FLATE.search(dictionary)):
            raise unreadable
        if _FLATE.search(dictionary):
            inflated = _inflate(body, budget)
            if inflated is None:
                raise unreadable
            budget -= len(inflated)
            body = inflated
        if _ACTIVE_NAME.search(_unescape_names(body)):
            raise active


def _unescape_names(data: bytes) -> bytes:
    """Undo #xx escapes, with which /J#61vaScript spells /JavaScript."""
    if b"#" not in data:
        return data
    return _HEX_ESCAPE.sub(lambda match: bytes((int(match[1], 16),)), data)


def _split_streams(data: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Separate the text of the PDF from stream bodies; each body comes with the text since the previous stream.

    That text ends with the stream's own dictionary, which is what tells an object stream from a picture.
    """
    outside: list[bytes] = []
    streams: list[tuple[bytes, bytes]] = []
    position = 0
    while match := _STREAM_START.search(data, position):
        end = data.find(b"endstream", match.end())
        end = len(data) if end < 0 else end
        before = data[position : match.start()]
        outside.append(before)
        streams.append((before, data[match.end() : end]))
        position = end + len(b"endstream")
    outside.append(data[position:])
    return b" ".join(outside), streams


def _inflate(body: bytes, budget: int) -> bytes | None:
    """Inflate a FlateDecode stream; None if it is not valid or would inflate beyond `budget` bytes."""
    if budget <= 0:
        return None
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(body, budget + 1)
    except zlib.error:
        return None
    return None if len(inflated) > budget else inflated
