"""The site's one Content-Security-Policy, as the tests expect it, and a reader for the header.

django-csp writes the directives in no fixed order, so a header is compared directive by directive."""

from __future__ import annotations

POLICY = (
    "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def directives(header: str) -> dict[str, list[str]]:
    """`header`'s directives: name -> its sources in order; a directive named twice fails the test."""
    found: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in found, (name, header)
        found[name] = sources
    return found


def is_the_policy(header: str) -> bool:
    return directives(header) == directives(POLICY)
