"""Passing on where to go after signing in: the ``next`` query parameter."""

from __future__ import annotations

from django.utils.http import urlencode


def with_next(url: str, next_url: str) -> str:
    """``url`` with ``?next=next_url`` added (``url`` unchanged when there is nowhere next)."""
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url
