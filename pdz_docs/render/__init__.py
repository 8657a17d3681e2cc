"""Renderers: lay out the computed document (HTML → PDF with WeasyPrint, DOCX with python-docx)."""

# PDF variants offered by `pdz build --pdf-variant`; the first is the default:
# archival (PDF/A-2) and tagged for accessibility (conformance level A).
PDF_VARIANTS = ("pdf/a-2a", "pdf/a-2b", "pdf/a-3a", "pdf/a-3b", "pdf/ua-1", "nessuna")
DEFAULT_PDF_VARIANT = PDF_VARIANTS[0]
