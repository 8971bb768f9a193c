"""The pure charter core: loading, schema and messages, model accessors, fingerprint, diff, review arithmetic and edit planning."""
