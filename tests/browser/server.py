"""The whole ASGI application (pages and the `ws/me/` websocket) served by uvicorn in a thread of
the test process, on a free port, against the test database.

Why a thread and not `ChannelsLiveServerTestCase`: that one serves from another process, which
cannot see SQLite's in-memory test database nor share the in-memory channel layer. In a thread,
both are shared: pushes published while a request is handled run on the server's event loop (the
view's thread is a `sync_to_async` worker of that loop), where the consumers wait. With Redis and
PostgreSQL the same server works unchanged (each request thread has its own connection).
"""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import uvicorn
from django.db import connections

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def one_request_at_a_time(app: ASGIApp) -> ASGIApp:
    """HTTP requests in turn: on SQLite every thread shares one connection (see `shared_database`),
    so two requests must not interleave their transactions. Websockets are not held up."""
    lock: asyncio.Lock | None = None

    async def serialised(scope: Scope, receive: Any, send: Any) -> None:
        nonlocal lock
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        lock = lock or asyncio.Lock()
        async with lock:
            await app(scope, receive, send)

    return serialised


@contextmanager
def shared_database() -> Iterator[bool]:
    """Let the server's threads use the test database; yields whether requests must be serialised.

    SQLite's test database lives in memory: every thread must use the test thread's connection
    (what Django's LiveServerTestCase does). PostgreSQL: each thread opens its own connection,
    closed after each request so none outlives the test (the database is flushed, then dropped).
    """
    connection = connections["default"]
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.ensure_connection()
        connection.inc_thread_sharing()
        own = connections._connections  # type: ignore[attr-defined]
        connections._connections = SimpleNamespace(default=connection)  # type: ignore[attr-defined]
        try:
            yield True
        finally:
            connections._connections = own  # type: ignore[attr-defined]
            connection.dec_thread_sharing()
        return
    previous = connection.settings_dict.get("CONN_MAX_AGE", 0)
    connection.settings_dict["CONN_MAX_AGE"] = 0  # the dict new threads' connections are built from
    try:
        yield False
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = previous
        # The connections of finished request threads are freed with them, but a database
        # wrapper holds reference cycles: collect them now, or they hold the test database open.
        gc.collect()


class LiveServer:
    """`with LiveServer(app) as server: server.url`"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_level="warning",
            access_log=False,
            ws="websockets-sansio",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="asgi-live-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)
