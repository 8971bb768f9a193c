"""Rules: one registry of every rule (id, severity, description) and the checks behind them."""
