"""PDF from HTML, with WeasyPrint: a tagged PDF (PDF/UA-1), whose title is the HTML's
``<title>`` and which viewers show as the document's title, for screen readers.

The HTML is our own template's; nothing in it is fetched from anywhere (only ``data:`` URLs
would be), so rendering makes no network call and reads no file. WeasyPrint is imported when
the first PDF is made, not when the application starts.
"""

from __future__ import annotations

import logging

#: PDF/UA-1 turns on tagging (the structure tree: headings, paragraphs, lists, tables) and
#: marks the title to be displayed.
PDF_VARIANT = "pdf/ua-1"

# WeasyPrint reports each step of every rendering at INFO level: not worth a log line.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def render(html: str) -> bytes:
    """The PDF of an HTML document."""
    from weasyprint import HTML  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    fetcher = URLFetcher(allowed_protocols=("data",), allow_redirects=False, timeout=5)
    document = HTML(string=html, base_url="about:blank", url_fetcher=fetcher)
    data = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    if data is None:  # pragma: no cover - only when writing to a target
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(data)
