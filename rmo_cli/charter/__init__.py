"""The pure charter core: loading, schema, model accessors, fingerprint, diff, review arithmetic."""
