"""Review integrity rules (registered on import by rmo_cli.rules)."""
