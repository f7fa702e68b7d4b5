"""Numbers typed by people: ids and page numbers are ASCII digits only.

str.isdigit() is also true for '²' and '①', which int() refuses (a ValueError, a 500); and
int() reads '٣' as 3. Every id or page number from a request goes through here instead.
"""
import re

_DIGITS = re.compile(r"[0-9]+")


def is_number(text, max_digits=12) -> bool:
    """Whether `text` is a whole number in ASCII digits, at most `max_digits` long."""
    return isinstance(text, str) and len(text) <= max_digits and _DIGITS.fullmatch(text) is not None


def whole_number(text, max_digits=12, default=None):
    """int(text) when it is_number(), otherwise `default`."""
    return int(text) if is_number(text, max_digits) else default


def page_number(text) -> int:
    """A ?page= value: a positive number of up to 6 digits, anything else is page 1."""
    return whole_number(text, 6, 1) or 1
