"""Helpers shared by the web tests. Every test that needs a fully signed-in client (past any
second factor) goes through :func:`signed_in`, so the sign-in rules live in one place."""

from __future__ import annotations

from typing import Any

from django.test import Client


def sign_in(client: Client, user: Any) -> Client:
    """Sign ``client`` in as ``user`` as if they had completed every sign-in step."""
    client.force_login(user)
    return client


def signed_in(user: Any) -> Client:
    return sign_in(Client(), user)
