"""Commands of this group register on the shared app here (placeholder until implemented)."""
