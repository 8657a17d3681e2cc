"""Deterministic Office zip packages (DOCX, XLSX): same content → same bytes."""

from __future__ import annotations

import io
import zipfile


def normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip package with fixed timestamps and the original member order."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()
