"""Small files of each kind, made here (no binary fixtures in the repository)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

#: The EICAR anti-virus test file: harmless, and every scanner reports it as a virus.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def pdf_bytes(pad: int = 0) -> bytes:
    """A one-page PDF (``pad`` bytes of comment make it larger)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    if pad:
        out.write(b"%" + b"x" * pad + b"\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _ooxml(main_type: str, part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            f'Target="{part}"/></Relationships>',
        )
        archive.writestr(part, '<?xml version="1.0"?><document>Our account</document>')
    return out.getvalue()


def docx_bytes() -> bytes:
    return _ooxml(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "word/document.xml",
    )


def docm_bytes() -> bytes:
    """A macro-enabled Word document: refused."""
    return _ooxml("application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml")


def xlsx_bytes() -> bytes:
    return _ooxml(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "xl/workbook.xml",
    )


def zip_claiming(size: int) -> bytes:
    """A Word-looking archive whose document claims to inflate to ``size`` bytes (what a zip
    bomb claims); its content is tiny."""
    data = bytearray(docx_bytes())
    # Patch the declared uncompressed size of the last member in the central directory.
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, size)
    return bytes(data)


def _compound_file(stream: str) -> bytes:
    """A minimal compound file (the container of .doc, .xls, .msg) holding one stream."""
    sector = 512
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 24, 0x3E, 3, 0xFFFE)  # versions, byte order
    struct.pack_into("<HH", header, 30, 9, 6)  # sector and mini sector shifts
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<i", header, 48, 1)  # the directory starts at sector 1
    struct.pack_into("<I", header, 56, 4096)  # mini stream cut-off
    struct.pack_into("<ii", header, 60, -2, 0)  # no mini FAT
    struct.pack_into("<ii", header, 68, -2, 0)  # no DIFAT sectors
    struct.pack_into("<i", header, 76, 0)  # the FAT is sector 0
    for i in range(1, 109):
        struct.pack_into("<i", header, 76 + 4 * i, -1)
    fat = bytearray(b"\xff" * sector)
    struct.pack_into("<iii", fat, 0, -3, -2, -2)

    def entry(name: str, kind: int, start: int, size: int, child: int = -1) -> bytes:
        row = bytearray(128)
        raw = (name + "\x00").encode("utf-16-le")
        row[: len(raw)] = raw
        struct.pack_into("<H", row, 64, len(raw))
        row[66], row[67] = kind, 1
        struct.pack_into("<iii", row, 68, -1, -1, child)
        struct.pack_into("<iI", row, 116, start, size)
        return bytes(row)

    directory = entry("Root Entry", 5, -2, 0, child=1) + entry(stream, 2, 2, sector)
    return bytes(header) + bytes(fat) + directory + bytes(256) + b"\xec\xa5" + bytes(sector - 2)


def doc_bytes() -> bytes:
    return _compound_file("WordDocument")


def xls_bytes() -> bytes:
    return _compound_file("Workbook")


def text_bytes() -> bytes:
    return b"Dear panel,\nThis is not a PDF at all, whatever its name says.\n" * 4
