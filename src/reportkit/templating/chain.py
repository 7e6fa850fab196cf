"""The industry-chain map (产业链图谱) requested by a template: built from a record table whose rows
each place one player in a layer and a segment, and name the table of the data that names it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..context.tables import LookupProblem, RecordTable, SeriesTable
from ..data.citations import credit
from ..errors import TemplateError
from ..model import ChainGroup, ChainLayer, ChainMap, TableCell
from .objects import source_note

DEFAULT_ROLE = "角色"
MAX_LAYERS = 4
"""More layers side by side than an A4 page can show readably."""
MAX_GROUPS = 5
"""More segments in one layer than fit on one A4 page with their players."""

Resolve = Callable[[Any], SeriesTable | RecordTable]


def _fail(message: str, code: str = "bad_argument") -> TemplateError:
    return TemplateError(message, code=code)


def _texts(table: SeriesTable | RecordTable) -> str:
    """Everything the table says in words (labels and text cells), to find a name in."""
    if isinstance(table, SeriesTable):
        return "\n".join(table.labels)
    return "\n".join(str(r[c]) for r in table.records for c in table.columns if r[c] is not None)


def _role_column(table: RecordTable, role: str | None) -> str | None:
    """The column of the players' roles: `role` when given, else 角色 when the table has it."""
    if role is not None:
        return table.resolve(role)
    try:
        return table.resolve(DEFAULT_ROLE)
    except LookupProblem:
        return None


def build_chain_map(
    table: SeriesTable | RecordTable,
    title: str,
    resolve: Resolve,
    *,
    layer: str = "环节",
    group: str = "类别",
    player: str = "企业",
    role: str | None = None,
    basis: str = "出处",
    source: str | None = None,
) -> ChainMap:
    """Return the chain map of `table`: one record per player with its layer, segment, role (printed in
    brackets after the name; column 角色 when the table has it) and `basis`, the ID of the data table
    that names it.

    Layers and segments keep the order of their first record.  Every player must be named in its
    basis table, so the map shows only organisations the data already has; the map's source note
    credits the basis tables' publishers (each with its citation markers), then the chain table's own
    来源.  Raises TemplateError.
    """
    if not isinstance(title, str) or not title.strip():
        raise _fail("chain_map needs a title")
    if not isinstance(table, RecordTable):
        raise _fail(f"chain_map needs a record table (named columns); {table.id} has years as columns")
    cols = [table.resolve(c) for c in (layer, group, player, basis)]
    role_col = _role_column(table, role)
    layers: dict[str, dict[str, list[str]]] = {}
    rows: list[tuple[TableCell, ...]] = []
    bases: list[SeriesTable | RecordTable] = []
    for r in table.records:
        name_of_layer, name_of_group, name, basis_id = (str(r[c] or "").strip() for c in cols)
        where = f"record {name or '(empty)'!r} of table {table.id}"
        if not (name_of_layer and name_of_group and name):
            raise _fail(f"{where} needs a {layer}, a {group} and a {player}", "missing")
        if not basis_id:
            raise _fail(f"{where} names no {basis}: give the ID of the table that names {name}", "missing")
        named_by = resolve(basis_id)
        if name not in _texts(named_by):
            raise _fail(
                f"{where}: table {named_by.id} ({named_by.file} [{named_by.sheet}]) does not name {name!r}; "
                "a chain map shows only organisations the data names",
                "not_in_data",
            )
        if named_by not in bases:
            bases.append(named_by)
        extra = str(r[role_col] or "").strip() if role_col is not None else ""
        label = f"{name}（{extra}）" if extra else name
        layers.setdefault(name_of_layer, {}).setdefault(name_of_group, []).append(label)
        rows.append((TableCell(name_of_layer), TableCell(name_of_group), TableCell(label)))
    if not 2 <= len(layers) <= MAX_LAYERS:
        raise _fail(f"a chain map shows 2 to {MAX_LAYERS} layers side by side; table {table.id} has {len(layers)}")
    crowded = [n for n, groups in layers.items() if len(groups) > MAX_GROUPS]
    if crowded:
        raise _fail(f"layer {crowded[0]!r} of table {table.id} has more than {MAX_GROUPS} segments: one A4 page")
    cited = credit((t.id, t.citations) for t in bases)
    note = source_note(table, source)
    if source is None and cited:
        note = f"{cited}；{note}" if note else cited
    return ChainMap(
        title=title.strip(),
        source=note,
        header=(TableCell(layer), TableCell(group), TableCell(player)),
        rows=tuple(rows),
        layers=tuple(
            ChainLayer(n, tuple(ChainGroup(g, tuple(p)) for g, p in groups.items())) for n, groups in layers.items()
        ),
    )


__all__ = ["build_chain_map"]
