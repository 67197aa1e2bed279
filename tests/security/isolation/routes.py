"""Every URL pattern of the project, found by walking the root resolver (namespaced names,
patterns, callbacks), and the websocket routes of the ASGI application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # namespaced ("frontend:members"), or "<unnamed> <pattern>"
    pattern: str
    callback: Any
    kwarg_names: tuple[str, ...]

    @property
    def view_class(self) -> Any:
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)


def _walk(resolver: URLResolver, prefix: str, namespaces: tuple[str, ...], groups: tuple[str, ...]) -> list[Route]:
    found: list[Route] = []
    for entry in resolver.url_patterns:
        names = groups + tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
            found += _walk(entry, prefix + str(entry.pattern), spaces, names)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = ":".join((*namespaces, entry.name)) if entry.name else f"<unnamed> {pattern}"
            found.append(Route(name=name, pattern=pattern, callback=entry.callback, kwarg_names=names))
    return found


def http_routes() -> list[Route]:
    return _walk(get_resolver(), "", (), ())


def websocket_routes() -> list[str]:
    from notifications.routing import websocket_urlpatterns

    return [str(entry.pattern) for entry in websocket_urlpatterns]
