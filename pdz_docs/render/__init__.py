"""Renderers: lay out the computed document (HTML → PDF with WeasyPrint, DOCX with python-docx)."""
