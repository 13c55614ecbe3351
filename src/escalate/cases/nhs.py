"""NHS numbers: ten digits, the last a modulus 11 check digit."""

from __future__ import annotations

import re

_WEIGHTS = range(10, 1, -1)


def normalise_nhs_number(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def is_valid_nhs_number(text: str) -> bool:
    digits = normalise_nhs_number(text)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def format_nhs_number(text: str) -> str:
    d = normalise_nhs_number(text)
    return f"{d[:3]} {d[3:6]} {d[6:]}" if len(d) == 10 else text
