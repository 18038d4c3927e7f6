"""Make small, valid PDF files for tests, by hand (no PDF writer library needed)."""

from __future__ import annotations


def simple_pdf(lines: list[str], title: str = "") -> bytes:
    """A one-page PDF showing `lines` in Helvetica; pypdf extracts them as text.

    >>> simple_pdf(["Hello"]).startswith(b"%PDF-1.4")
    True
    """
    return paged_pdf([lines], title)


def paged_pdf(pages: list[list[str]], title: str = "") -> bytes:
    """A PDF of several pages, each showing its lines in Helvetica.

    >>> paged_pdf([["One"], ["Two"]]).count(b"/Type /Page ")
    2
    """
    n = len(pages)
    font, info = 3 + 2 * n, 4 + 2 * n  # object numbers: catalog, pages, then a page and its content per page
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode()]
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(f"<< /Title ({title}) >>".encode("latin-1") if title else b"<< >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
