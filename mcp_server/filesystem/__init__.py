"""File operations confined to the allowed roots: anchored opens, atomic writes, paging, edits, search."""
