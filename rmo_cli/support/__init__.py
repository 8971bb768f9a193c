"""Support: errors, findings, dates, atomic writes, escapers, widths, packaged resources."""
