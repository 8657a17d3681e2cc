"""pdz-docs: write, check and produce a Piano Sociale di Zona from plain text.

The pipeline is load → check → compute → render; see `pdz_docs.pipeline`.
"""

__version__ = "0.1.0"
