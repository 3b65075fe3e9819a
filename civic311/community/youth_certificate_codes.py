"""The youth program's certificate verification codes: ten characters of an alphabet without look-alikes
(no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V), stored without separators, printed in two groups of five
(``K7MQA-X3TRD``), and found again whatever the case, spaces or dashes typed. Shared by the service that
issues them and the selector that finds them (so neither imports the other)."""

from __future__ import annotations

import secrets

ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
CODE_LENGTH = 10
GROUP = 5
_SEPARATORS = frozenset(" \t\r\n-\u2010\u2011\u2013\u2014._")


def new_code() -> str:
    """A random code of `CODE_LENGTH` characters of `ALPHABET` (about 45 bits), not yet checked for use."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """What someone typed, as stored: upper case, without spaces, dashes or dots. Anything else is kept,
    so a code with a character outside the alphabet simply matches nothing."""
    return "".join(character for character in raw.upper() if character not in _SEPARATORS)


def format_code(code: str) -> str:
    """A stored code as printed: groups of five joined by a dash."""
    return "-".join(code[start : start + GROUP] for start in range(0, len(code), GROUP))
