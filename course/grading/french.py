"""Numbers, sizes and durations written the French way, for every message a student reads."""

#: French typography: a non-breaking space before « : ; ? ! », inside « », between a number and its unit.
NBSP = "\u00a0"

_UNITS = (("Go", 2**30), ("Mo", 2**20), ("ko", 2**10))


def size(value):
    """``20 ko``, ``1,5 Mo``, ``512 octets`` (three significant digits, a decimal comma)."""
    value = float(value)
    for unit, scale in _UNITS:
        if value >= scale:
            return f"{value / scale:.3g}".replace(".", ",") + f"{NBSP}{unit}"
    return f"{int(value)}{NBSP}octet{'s' if value >= 2 else ''}"


def seconds(value):
    """``1 seconde``, ``2,5 secondes``."""
    value = float(value)
    return f"{value:g}".replace(".", ",") + f"{NBSP}seconde{'s' if value >= 2 else ''}"
