"""Operations: the use cases behind the commands (read files, call core and rules, return results)."""
