"""The command-line interface: argument parsing and exit codes only, no domain logic."""
