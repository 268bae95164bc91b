"""Exports people open in a spreadsheet."""

from __future__ import annotations

# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text that starts like a formula is prefixed with ', so a spreadsheet shows it instead of running it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
