"""NHS numbers: ten digits, the last a modulus 11 check digit."""

from __future__ import annotations

import re

_WEIGHTS = range(10, 1, -1)


def normalise_nhs_number(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def nhs_check_digit(nine_digits: str) -> int | None:
    """The modulus 11 check digit of the first nine digits, or None when there is none (a
    remainder that gives 10: no valid number starts with those nine digits)."""
    total = sum(int(d) * w for d, w in zip(nine_digits, _WEIGHTS, strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else check


def is_valid_nhs_number(text: str) -> bool:
    digits = normalise_nhs_number(text)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    check = nhs_check_digit(digits[:9])
    return check is not None and check == int(digits[9])


def format_nhs_number(text: str) -> str:
    d = normalise_nhs_number(text)
    return f"{d[:3]} {d[3:6]} {d[6:]}" if len(d) == 10 else text
