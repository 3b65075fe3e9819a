"""PDF documents from HTML (WeasyPrint): the satisfaction reports now, certificates later.

Importing WeasyPrint sets Pillow's process-wide `ImageFile.LOAD_TRUNCATED_IMAGES = True`, which would make
every later photo check in the same process accept truncated uploads (see `requests.photos`). Import it
only through here, which puts Pillow's setting back; our documents embed no images, so WeasyPrint loses
nothing by it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse


def _weasyprint_html() -> Any:
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML


def render_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document. No base URL: nothing is fetched from files or the network."""
    document = _weasyprint_html()(string=html)
    return bytes(document.write_pdf())


def pdf_download(filename: str, pdf: bytes) -> HttpResponse:
    """An attachment `filename` holding `pdf` (the twin of `spreadsheets.csv_download`)."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
