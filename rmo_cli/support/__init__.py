"""Support: errors, findings, dates, atomic writes, escapers, widths and packaged resources (imports nothing above it)."""
