"""`rmo lsp`: the language server that brings rmo's findings, ids and schema into editors.

`server` speaks LSP (pygls); the other modules are plain functions over text and loaded
documents: `text` (spans and the YAML path at a cursor), `schema_help` (keys, values and
descriptions from the schema), `completion` (completion and hover), `navigation` (ids:
definitions, references, renames, symbols), `actions` (quick fixes) and `workspace` (the
other charters checked together).
"""
