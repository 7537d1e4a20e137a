"""Content checks for lot attachments: every test builds its files in memory and needs no database."""

import io
import random
import struct
import warnings
import zlib
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin

from core import uploads
from core.uploads import (
    MAX_DOCUMENT_BYTES,
    MAX_PHOTO_BYTES,
    THUMBNAIL_SIZE,
    CleanUpload,
    clean_document,
    clean_photo,
)

MB = 1024 * 1024
OWNER = "Budi Santoso, PT Baja Uji"  # stands for any personal text a phone or editor writes into a file


# --- building files -------------------------------------------------------------------------------------------


def upload(content: bytes, name: str, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def gradient(size: tuple[int, int] = (800, 600), mode: str = "RGB") -> Image.Image:
    return Image.linear_gradient("L").resize(size).convert(mode)


def noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Incompressible pixels, so that half of the encoded file really is half of the picture."""
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def opened(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def gps_exif() -> Image.Exif:
    """EXIF as a phone writes it at a plant in Cilegon: GPS position and the owner's name."""
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = OWNER
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "S", 2: (6.0, 1.0, 0.0), 3: "E", 4: (106.0, 3.0, 0.0)})
    return exif


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def swapped_primaries_icc() -> bytes:
    """An RGB profile whose red and blue primaries trade places: a red pixel under it is really blue."""
    icc = bytearray(srgb_icc())
    count = struct.unpack(">I", icc[128:132])[0]
    entries = {bytes(icc[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    icc[red + 4 : red + 12], icc[blue + 4 : blue + 12] = icc[blue + 4 : blue + 12], icc[red + 4 : red + 12]
    icc[84:100] = bytes(16)  # the profile ID no longer matches; zero means "not computed"
    return bytes(icc)


def make_pdf(*objects: bytes, header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") -> bytes:
    """A PDF with a correct cross-reference table; object 1 must be the catalogue."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(content: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(content), dictionary, content)


def lab_report(catalogue_extra: bytes = b"", *extra_objects: bytes) -> bytes:
    """One page of text; `catalogue_extra` goes into the catalogue, `extra_objects` are numbers 6 and up."""
    return make_pdf(
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalogue_extra,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        stream(b"BT /F1 18 Tf 72 760 Td (Hasil uji TCLP: memenuhi baku mutu) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra_objects,
    )


def object_stream(objects: bytes, number: int = 7, dictionary: bytes = b"/Filter /FlateDecode") -> bytes:
    """A PDF 1.5 object stream holding object `number`, compressed as modern writers do."""
    prefix = b"%d 0 " % number
    content = prefix + objects
    if b"FlateDecode" in dictionary:
        content = zlib.compress(content)
    return stream(content, b"/Type /ObjStm /N 1 /First %d %s" % (len(prefix), dictionary))


def refusal(clean: Callable[[SimpleUploadedFile], CleanUpload], uploaded: SimpleUploadedFile, code: str) -> str:
    """Assert that `clean` refuses with a ValidationError of `code` whose message names the file."""
    with pytest.raises(ValidationError) as caught:
        clean(uploaded)
    assert caught.value.code == code, caught.value.messages
    message = " ".join(caught.value.messages)
    assert f"“{uploaded.name}”" in message
    return message


# --- photos: what is accepted ---------------------------------------------------------------------------------


def test_jpeg_is_reencoded_with_a_thumbnail():
    result = clean_photo(upload(encode(gradient((800, 600)), "JPEG", quality=95), "tumpukan-slag.jpeg"))

    assert (result.extension, result.content_type) == ("jpg", "image/jpeg")
    assert (result.width, result.height) == (800, 600)
    stored = opened(result.content)
    assert (stored.format, stored.size, stored.mode) == ("JPEG", (800, 600), "RGB")
    thumbnail = opened(result.thumbnail)
    assert (thumbnail.format, thumbnail.mode, thumbnail.size) == ("JPEG", "RGB", THUMBNAIL_SIZE)


def test_portrait_thumbnail_fits_the_box_and_keeps_the_aspect_ratio():
    result = clean_photo(upload(encode(gradient((600, 1200)), "JPEG"), "drum.jpg"))

    thumbnail = opened(result.thumbnail)
    assert thumbnail.size == (180, 360)
    assert thumbnail.width <= THUMBNAIL_SIZE[0] and thumbnail.height <= THUMBNAIL_SIZE[1]


def test_small_photo_thumbnail_is_not_enlarged():
    result = clean_photo(upload(encode(gradient((120, 90)), "JPEG"), "kecil.jpg"))

    assert opened(result.thumbnail).size == (120, 90)


def test_png_named_jpg_is_stored_as_png_and_keeps_its_alpha():
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (100, 0, 200, 100))
    uploaded = upload(encode(image, "PNG"), "photo.jpg", content_type="image/jpeg")

    result = clean_photo(uploaded)

    assert (result.extension, result.content_type) == ("png", "image/png")
    stored = opened(result.content)
    assert (stored.format, stored.mode) == ("PNG", "RGBA")
    assert stored.getpixel((10, 10))[3] == 0
    assert stored.getpixel((150, 50)) == (200, 30, 30, 255)
    thumbnail = opened(result.thumbnail)
    assert (thumbnail.format, thumbnail.mode) == ("JPEG", "RGB")
    assert all(channel > 245 for channel in thumbnail.getpixel((5, 5)))  # transparent became white, not black


def test_palette_png_keeps_its_transparency():
    image = Image.new("P", (64, 64), 0)
    image.putpalette([255, 255, 255, 10, 120, 60] + [0, 0, 0] * 254)
    image.paste(1, (32, 0, 64, 64))
    content = encode(image, "PNG", transparency=0)

    stored = opened(clean_photo(upload(content, "label.png")).content)

    assert stored.format == "PNG"
    assert stored.convert("RGBA").getpixel((5, 5))[3] == 0
    assert stored.convert("RGBA").getpixel((50, 5)) == (10, 120, 60, 255)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_webp_is_stored_as_webp(mode):
    image = gradient((320, 240), mode)
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize((320, 240)))
    content = encode(image, "WEBP", quality=90)

    result = clean_photo(upload(content, "oli-bekas.png", content_type="image/png"))

    assert (result.extension, result.content_type) == ("webp", "image/webp")
    stored = opened(result.content)
    assert (stored.format, stored.mode, stored.size) == ("WEBP", mode, (320, 240))
    assert opened(result.thumbnail).format == "JPEG"


def test_cmyk_jpeg_becomes_rgb():
    content = encode(Image.new("CMYK", (80, 60), (0, 255, 255, 0)), "JPEG")

    stored = opened(clean_photo(upload(content, "cetak.jpg")).content)

    assert (stored.format, stored.mode) == ("JPEG", "RGB")
    red, green, blue = stored.getpixel((40, 30))
    assert red > 200 and green < 60 and blue < 60


def test_multi_picture_jpeg_from_a_phone_is_stored_as_one_plain_jpeg():
    first, second = gradient((160, 120)), noise((160, 120))
    content = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(content)).format == "MPO"

    result = clean_photo(upload(content, "IMG_20250101.jpg"))

    stored = opened(result.content)
    assert (result.extension, stored.format, getattr(stored, "n_frames", 1)) == ("jpg", "JPEG", 1)


def test_animated_png_is_stored_as_its_first_frame():
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("red", "green", "blue")]
    content = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])

    stored = opened(clean_photo(upload(content, "animasi.png")).content)

    assert getattr(stored, "n_frames", 1) == 1
    assert stored.convert("RGB").getpixel((20, 20)) == (255, 0, 0)


# --- photos: metadata is gone ---------------------------------------------------------------------------------


def test_gps_position_is_removed_from_a_jpeg():
    content = encode(gradient((640, 480)), "JPEG", exif=gps_exif().tobytes())
    original = Image.open(io.BytesIO(content)).getexif()
    assert original.get_ifd(ExifTags.IFD.GPSInfo)[2] == (6.0, 1.0, 0.0)  # the input really has GPS
    assert OWNER.encode() in content

    result = clean_photo(upload(content, "IMG_0042.jpg"))

    for output in (result.content, result.thumbnail):
        assert len(opened(output).getexif()) == 0
        assert b"Exif" not in output
        assert OWNER.encode() not in output


def test_exif_orientation_is_applied_then_dropped():
    # Stored as the sensor saw it: 600 wide, red on top. Orientation 6 = show it turned 90° clockwise.
    image = Image.new("RGB", (600, 400), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 600, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    content = encode(image, "JPEG", exif=exif.tobytes(), quality=95)

    result = clean_photo(upload(content, "miring.jpg"))

    stored = opened(result.content)
    assert (result.width, result.height) == stored.size == (400, 600)
    assert len(stored.getexif()) == 0 and b"Exif" not in result.content
    red, _green, blue = stored.getpixel((300, 300))  # the top went to the right
    assert red > 200 and blue < 60
    red, _green, blue = stored.getpixel((100, 300))
    assert blue > 200 and red < 60
    assert opened(result.thumbnail).size == (240, 360)


def test_png_text_chunks_are_removed():
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", OWNER)
    text.add_text("Comment", OWNER, zip=True)
    text.add_itxt("Description", OWNER, lang="id")
    text.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta><dc:creator>{OWNER}</dc:creator></x:xmpmeta>")
    content = encode(gradient((100, 80)), "PNG", pnginfo=text)
    assert Image.open(io.BytesIO(content)).text["Author"] == OWNER

    result = clean_photo(upload(content, "label.png"))

    stored = opened(result.content)
    assert stored.text == {}
    for chunk in (b"tEXt", b"zTXt", b"iTXt"):
        assert chunk not in result.content
    assert OWNER.encode() not in result.content


@pytest.mark.parametrize(
    ("image_format", "options", "mode"),
    [
        ("JPEG", {"comment": OWNER.encode(), "xmp": f"<dc:creator>{OWNER}</dc:creator>".encode()}, "RGB"),
        ("PNG", {}, "RGBA"),
        ("WEBP", {"xmp": f"<dc:creator>{OWNER}</dc:creator>".encode()}, "RGB"),
    ],
)
def test_no_metadata_of_any_kind_survives(image_format, options, mode):
    content = encode(gradient((120, 90), mode), image_format, exif=gps_exif(), icc_profile=srgb_icc(), **options)
    before = Image.open(io.BytesIO(content))
    assert before.info.get("exif") and before.info.get("icc_profile")

    result = clean_photo(upload(content, f"foto.{image_format.lower()}"))

    stored = opened(result.content)
    assert stored.format == image_format
    assert len(stored.getexif()) == 0
    for key in ("exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"):
        assert key not in stored.info
    for marker in (b"Exif", b"EXIF", b"eXIf", b"ICC_PROFILE", b"iCCP", b"ICCP", b"XMP ", OWNER.encode()):
        assert marker not in result.content


def test_colour_profile_is_applied_before_it_is_dropped():
    content = encode(Image.new("RGB", (40, 30), (255, 0, 0)), "JPEG", icc_profile=swapped_primaries_icc())

    stored = opened(clean_photo(upload(content, "p3.jpg")).content)

    assert "icc_profile" not in stored.info
    red, _green, blue = stored.getpixel((20, 15))
    assert blue > 200 and red < 60


# --- photos: what is refused ----------------------------------------------------------------------------------


def test_text_named_jpg_is_refused():
    uploaded = upload(b"bukan gambar, hanya teks\n" * 20, "foto.jpg", content_type="image/jpeg")

    message = refusal(clean_photo, uploaded, "not_a_photo")

    assert "JPEG, PNG or WebP" in message


def test_svg_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'

    refusal(clean_photo, upload(svg, "logo.svg", content_type="image/svg+xml"), "not_a_photo")


@pytest.mark.parametrize("image_format", ["GIF", "BMP", "TIFF", "ICO", "PDF"])
def test_other_image_formats_are_refused(image_format):
    content = encode(gradient((64, 64)), image_format)

    refusal(clean_photo, upload(content, "foto.jpg", content_type="image/jpeg"), "not_a_photo")


@pytest.mark.parametrize(("image_format", "options"), [("JPEG", {"quality": 95}), ("PNG", {}), ("WEBP", {})])
def test_truncated_image_is_refused(image_format, options):
    content = encode(noise((256, 256)), image_format, **options)

    refusal(clean_photo, upload(content[: len(content) // 2], "setengah.jpg"), "damaged_image")


def test_png_with_a_bad_checksum_is_refused():
    content = bytearray(encode(gradient((64, 64)), "PNG"))
    idat = content.index(b"IDAT")
    length = struct.unpack(">I", content[idat - 4 : idat])[0]
    content[idat + 4 + length] ^= 0xFF  # the chunk's CRC: the pixels still decode, verify() notices

    refusal(clean_photo, upload(bytes(content), "rusak.png"), "damaged_image")


def test_truncated_jpeg_is_refused_even_if_other_code_allows_truncated_images(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    content = encode(noise((256, 256)), "JPEG", quality=95)

    refusal(clean_photo, upload(content[: len(content) // 2], "setengah.jpg"), "damaged_image")

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the global is put back


def test_decompression_bomb_is_refused_before_decoding(monkeypatch):
    # 7000 x 7000 = 49 megapixels of zeros: about 50 kB as PNG, 49 MB once decoded, under Pillow's own limit.
    content = encode(Image.new("L", (7000, 7000)), "PNG")
    assert len(content) < MAX_PHOTO_BYTES

    def must_not_decode(self):
        raise AssertionError("decoded a decompression bomb")

    monkeypatch.setattr(ImageFile.ImageFile, "load", must_not_decode)

    message = refusal(clean_photo, upload(content, "bom.png"), "too_many_pixels")

    assert "too large in pixels" in message and "40 megapixels" in message


def test_pixel_limit_is_read_at_call_time(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 100 * 100 - 1)

    refusal(clean_photo, upload(encode(gradient((100, 100)), "PNG"), "persegi.png"), "too_many_pixels")


def test_huge_header_that_trips_pillows_own_limit_is_refused():
    content = bytearray(encode(Image.new("1", (8, 8)), "PNG"))
    ihdr = content.index(b"IHDR")
    content[ihdr + 4 : ihdr + 12] = struct.pack(">II", 30_000, 30_000)  # 900 megapixels
    content[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(content[ihdr : ihdr + 17])))

    refusal(clean_photo, upload(bytes(content), "raksasa.png"), "too_many_pixels")


def test_pillow_globals_are_left_alone():
    filters, max_pixels = list(warnings.filters), Image.MAX_IMAGE_PIXELS

    clean_photo(upload(encode(gradient((64, 64)), "PNG"), "a.png"))
    with pytest.raises(ValidationError):
        clean_photo(upload(encode(Image.new("L", (7000, 7000)), "PNG"), "bom.png"))

    assert (warnings.filters, Image.MAX_IMAGE_PIXELS) == (filters, max_pixels)


def test_oversized_photo_is_refused_by_size_without_decoding():
    # 50 MB that is not an image at all: a message about size proves nothing was decoded.
    uploaded = upload(b"\0" * (50 * MB), "besar.jpg", content_type="image/jpeg")

    message = refusal(clean_photo, uploaded, "file_too_large")

    assert "10 MB" in message


class DeclaredSizeOnly(SimpleUploadedFile):
    """An upload that fails the test if anything reads it."""

    def __init__(self, name: str, size: int):
        super().__init__(name, b"", content_type="image/jpeg")
        self.size = size

    def read(self, *args, **kwargs):
        raise AssertionError("read a file whose declared size is over the limit")

    def chunks(self, *args, **kwargs):
        raise AssertionError("read a file whose declared size is over the limit")


@pytest.mark.parametrize(("clean", "limit"), [(clean_photo, MAX_PHOTO_BYTES), (clean_document, MAX_DOCUMENT_BYTES)])
def test_size_is_checked_before_reading(clean, limit):
    refusal(clean, DeclaredSizeOnly("besar.bin", limit + 1), "file_too_large")


def test_photo_exactly_at_the_limit_is_not_refused_for_size():
    uploaded = upload(b"x" * MAX_PHOTO_BYTES, "pas.jpg")

    refusal(clean_photo, uploaded, "not_a_photo")


def test_a_declared_size_that_lies_does_not_help():
    uploaded = upload(b"\0" * (MAX_PHOTO_BYTES + 1), "bohong.jpg")
    uploaded.size = 1000

    refusal(clean_photo, uploaded, "file_too_large")


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning", "ignore:Truncated File Read:UserWarning")
def test_mangled_images_raise_only_validation_errors():
    originals = [
        encode(noise((48, 32)), "JPEG"),
        encode(noise((48, 32)).convert("RGBA"), "PNG"),
        encode(noise((48, 32)), "WEBP"),
        encode(gradient((48, 32)), "JPEG", exif=gps_exif().tobytes()),
    ]
    rng = random.Random(20250101)
    for attempt in range(400):
        content = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 6)):
            content[rng.randrange(len(content))] = rng.randrange(256)
        if attempt % 5 == 0:
            del content[rng.randrange(len(content)) :]
        try:
            result = clean_photo(upload(bytes(content), "acak.jpg"))
        except ValidationError:
            continue
        assert opened(result.content).format in ("JPEG", "PNG", "WEBP")


# --- documents ------------------------------------------------------------------------------------------------


def test_lab_report_pdf_is_accepted_unchanged():
    content = lab_report(b"/PageMode /UseNone")
    uploaded = upload(content, "hasil-lab.PDF.exe", content_type="application/x-msdownload")

    result = clean_document(uploaded)

    assert result == CleanUpload(content, "pdf", "application/pdf", None, None, None)


def test_pdf_with_binary_streams_from_a_real_writer_is_accepted():
    pages = [noise((300, 200), seed) for seed in range(3)]
    content = encode(pages[0], "PDF", save_all=True, append_images=pages[1:], title="MSDS oli bekas")

    assert clean_document(upload(content, "msds.pdf")).content == content


def test_pdf_names_that_merely_start_like_active_ones_are_accepted():
    content = lab_report(
        b"/Metadata << /JSONSchema (x) /Launcher (y) >>",
        stream(b"random bytes /JS here /JS(", b"/Subtype /Image"),  # a picture's bytes, not a dictionary
    )

    assert clean_document(upload(content, "hasil.pdf")).extension == "pdf"


def test_pdf_with_a_harmless_compressed_object_stream_is_accepted():
    content = lab_report(b"", object_stream(b"<< /Producer (LibreOffice) /Title (Uji TCLP) >>"))

    assert clean_document(upload(content, "hasil.pdf")).extension == "pdf"


@pytest.mark.parametrize(
    "active",
    [
        b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>",
        b"/OpenAction << /JS (app.alert\\(1\\)) >>",
        b"/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",
        b"/OpenAction << /S /Launch /F (C:\\\\Windows\\\\System32\\\\cmd.exe) >>",
        b"/Names << /EmbeddedFiles << /Names [(invoice.exe) 6 0 R] >> >>",
        b"/Names << /JavaScript 6 0 R >>",
    ],
)
def test_pdf_with_active_content_is_refused(active):
    message = refusal(clean_document, upload(lab_report(active), "sds.pdf"), "active_pdf")

    assert "active content" in message


def test_pdf_with_an_embedded_file_stream_is_refused():
    content = lab_report(b"", stream(b"MZ\x90\x00", b"/Type /EmbeddedFile"))

    refusal(clean_document, upload(content, "sds.pdf"), "active_pdf")


@pytest.mark.parametrize("dictionary", [b"/Filter /FlateDecode", b"/Filter [/FlateDecode]", b""])
def test_javascript_hidden_in_an_object_stream_is_refused(dictionary):
    script = object_stream(b"<< /S /JavaScript /JS 8 0 R >>", dictionary=dictionary)
    content = lab_report(b"/OpenAction 7 0 R", script)

    refusal(clean_document, upload(content, "sds.pdf"), "active_pdf")


@pytest.mark.parametrize(
    "body",
    [
        stream(random.Random(3).randbytes(300), b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode"),
        stream(b"3c3c202f53202f4a617661536372697074203e3e>", b"/Type /ObjStm /N 1 /First 4 /Filter /ASCIIHexDecode"),
    ],
)
def test_pdf_whose_object_streams_cannot_be_read_is_refused(body):
    message = refusal(clean_document, upload(lab_report(b"", body), "terkunci.pdf"), "unchecked_pdf")

    assert "unprotected copy" in message


def test_object_stream_that_inflates_beyond_reason_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "_MAX_INFLATED_BYTES", 10_000)
    content = lab_report(b"", object_stream(b"<< /Title (%s) >>" % (b"a" * 20_000)))

    refusal(clean_document, upload(content, "bom.pdf"), "unchecked_pdf")


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04" + bytes(200),  # a ZIP (or .docx) renamed to .pdf
        b"Hasil uji laboratorium terlampir.\n%%EOF\n",
        b"<html><body>%PDF-1.7</body></html>\n%%EOF\n",
        b"",
    ],
)
def test_non_pdf_is_refused(content):
    message = refusal(clean_document, upload(content, "hasil.pdf", content_type="application/pdf"), "not_a_pdf")

    assert "is not a PDF" in message


def test_image_is_not_a_document():
    refusal(clean_document, upload(encode(gradient((64, 64)), "JPEG"), "scan.pdf"), "not_a_pdf")


def test_truncated_pdf_is_refused():
    content = lab_report()

    refusal(clean_document, upload(content[: len(content) // 2], "potong.pdf"), "incomplete_pdf")


def test_pdf_end_marker_must_be_at_the_end():
    content = lab_report() + b"\n" + b"% padding\n" * 300

    refusal(clean_document, upload(content, "ekor.pdf"), "incomplete_pdf")


def test_oversized_pdf_is_refused_by_size():
    content = lab_report() + b"%" * (MAX_DOCUMENT_BYTES + 1)

    message = refusal(clean_document, upload(content, "besar.pdf"), "file_too_large")

    assert "20 MB" in message


def test_upload_is_rewound_so_the_caller_can_read_it_again():
    uploaded = upload(lab_report(), "hasil.pdf")

    clean_document(uploaded)

    assert uploaded.read(5) == b"%PDF-"
