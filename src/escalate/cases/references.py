"""Subject references (NHS number, PID, another case reference) as a search compares them.

People type the same reference in several ways: ``PID-IR-1``, ``pid ir 1``, ``PIDIR1``,
``943-476-5919``, ``943 476 5919``. :func:`reference_key` turns each into one key: compatible
Unicode forms folded (NFKC), spaces and hyphens (any dash) removed, letters in upper case. The
raise service stores the key beside the reference as typed (``subject_reference_key``), and the
subject access search compares the key of what is typed with it, for every kind of reference.
Other punctuation (``/``, ``.``) is kept: it can tell two case numbers apart.

Migration ``cases/0004`` holds a frozen copy of this function to fill the keys of escalations
raised before it; if this rule ever changes, a new data migration recomputes them.
"""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212]+")


def reference_key(text: str) -> str:
    """The key that two spellings of one reference share."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


#: Crockford's base32 reading of the letters an escalation reference never holds: what a person
#: reading one aloud or copying it by hand may type instead.
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_ESCALATION_KEY = re.compile(r"^ESC([0-9A-Z]{4})([0-9A-Z]{4})$")


def escalation_reference(text: str) -> str | None:
    """An escalation's reference as it is stored (``ESC-XXXX-XXXX``), from what a person typed
    (``esc xxxx xxxx``, any dash, ``ESCXXXXXXXX``, an O for a 0), or None if it is not shaped
    like one. Searching for the result is an exact match on the unique index."""
    key = reference_key(text)
    found = _ESCALATION_KEY.match(key)
    if found is None:
        return None
    head, tail = (part.translate(_LOOK_ALIKES) for part in found.groups())
    return f"ESC-{head}-{tail}"
