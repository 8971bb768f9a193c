"""Operations: the use cases behind the commands (find and read files, call the core and rules, return results; no printing)."""
