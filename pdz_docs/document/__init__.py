"""The document tree: typed nodes built once from a computed plan, read by every renderer."""
