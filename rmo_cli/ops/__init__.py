"""Operations: the use cases behind the commands (read, call the core and rules, return results)."""
