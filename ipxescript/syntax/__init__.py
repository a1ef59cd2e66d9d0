"""Syntax: bytes -> logical lines -> words, as iPXE's script reader and command splitter see them."""
