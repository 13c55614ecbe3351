"""Every route is classified in ``escalate.web.routes.ROUTES``, and only routes that exist."""

from __future__ import annotations

from collections import Counter

from escalate.web.routes import ROUTES, Access, iter_routes, stale, unclassified


def test_every_route_is_classified() -> None:
    missing = unclassified()
    for route in missing:
        print(f"UNCLASSIFIED {route.key!r}  (/{route.pattern})")
    assert not missing, (
        f"{len(missing)} route(s) are not classified: add each to ROUTES in "
        "src/escalate/web/routes.py (see docs/security.md):\n"
        + "\n".join(f"    {r.key!r}: ...,  # /{r.pattern}" for r in missing)
    )


def test_every_classified_route_exists() -> None:
    gone = stale()
    assert not gone, (
        f"{len(gone)} classified route(s) no longer resolve: remove them from ROUTES in "
        "src/escalate/web/routes.py:\n" + "\n".join(f"    {k!r}" for k in gone)
    )


def test_route_keys_are_unique() -> None:
    keys = [r.key for r in iter_routes()]
    twice = sorted(k for k, n in Counter(keys).items() if n > 1)
    assert not twice, f"two URL patterns share a name, so one cannot be told apart: {twice}"


def test_route_summary() -> None:
    """Prints how many routes each class has (``pytest -s`` shows it)."""
    counts = Counter(ROUTES[r.key] for r in iter_routes() if r.key in ROUTES)
    print("\nroutes by class: " + ", ".join(f"{a.value} {counts[a]}" for a in Access))
    assert sum(counts.values()) == len(list(iter_routes())) - len(unclassified())
