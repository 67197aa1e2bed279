"""Every URL route of the project, enumerated from the resolver (not listed by hand)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# Values for path parameters: the cast's association and network, dummies for the rest (the
# CSRF check runs before the view, so a POST is refused whatever object the URL names).
PARAMETER_VALUES: dict[str, str] = {
    "association_slug": "amis-du-velo",
    "network_slug": "asso-37",
}
CONVERTER_VALUES = {"uuid": str(uuid.UUID(int=1)), "int": "1", "slug": "exemple", "str": "exemple", "path": "exemple"}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the pattern when unnamed
    pattern: str
    callback: Any
    parameters: tuple[str, ...]

    def url(self, **values: str) -> str:
        def fill(match: re.Match[str]) -> str:
            converter, name = match.group(1) or "str", match.group(2)
            return values.get(name) or PARAMETER_VALUES.get(name) or CONVERTER_VALUES[converter.rstrip(":")]

        path = re.sub(r"<(?:(\w+):)?(\w+)>", fill, self.pattern)
        return "/" + path


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[Route]:
    routes: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            routes += _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            if pattern.startswith("^") or "(?P" in pattern:
                # Regex routes (the admin's): named by their pattern.
                name = f"{namespace}:{entry.name}" if entry.name else pattern
            else:
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or pattern
            parameters = tuple(re.findall(r"<(?:\w+:)?(\w+)>", pattern))
            routes.append(Route(name=name, pattern=pattern, callback=entry.callback, parameters=parameters))
    return routes


def all_routes() -> list[Route]:
    return _walk(get_resolver().url_patterns)
