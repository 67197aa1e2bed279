"""Small helpers for the raw SQL of the fan-out and the unread counts (names always from the models).

PostgreSQL gets lists of ids as one array parameter: thousands of placeholders cost more to
build, send and parse than the query takes to run. SQLite (embedded mode) gets placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import F, Lookup, Model, Q
from django.utils.dateparse import parse_datetime

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler


def names(model: type[Model], *fields: str) -> tuple[str, ...]:
    """The quoted table of `model`, then the quoted columns of `fields`."""
    quote = connection.ops.quote_name
    meta = model._meta
    return (quote(meta.db_table), *(quote(str(meta.get_field(name).column)) for name in fields))  # type: ignore[union-attr]


def pg_array(items: Iterable[str]) -> str:
    """A PostgreSQL array literal of plain tokens (ids, route names, t/f), sent as one text value.

    psycopg adapts a Python list item by item, which costs about as much as inserting the row;
    joining tokens costs nothing. Only for tokens without quotes, commas, braces or spaces.
    """
    return "{" + ",".join(items) + "}"


def ids_literal(ids: Iterable[int]) -> str:
    # int(): the literal is built here, so nothing but digits may reach it.
    return pg_array(map(str, map(int, ids)))


def id_in(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """SQL and parameters for `column IN ids`."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [ids_literal(ids)]
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


class _AnyOf(Lookup):
    """`column = ANY(%s)` with `rhs` an array literal already built (PostgreSQL)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list]:  # type: ignore[override]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, self.rhs]


def one_of(field: str, ids: Sequence[int]) -> Q | _AnyOf:
    """An ORM filter `field IN ids` for many ids: one array parameter on PostgreSQL."""
    if connection.vendor == "postgresql":
        return _AnyOf(F(field), ids_literal(ids))
    return Q(**{f"{field}__in": list(ids)})


def aware(value: datetime | str) -> datetime:
    """A timestamp read by raw SQL: PostgreSQL gives it aware, SQLite as text in UTC."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"Not a timestamp: {value!r}")
        value = parsed
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
