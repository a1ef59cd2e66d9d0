"""The iPXE language server (``ipxescript lsp``): a thin pygls layer over the parser, catalog, linter and
formatter. Everything it knows about the language comes from those packages."""
