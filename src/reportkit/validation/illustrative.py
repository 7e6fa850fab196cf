"""Illustrative (示例) values are never attached to a real, named organisation.

The organisations a project names are the ones its own records list (companies, issuers, partners
in tables not flagged 示例); an illustrative table whose rows or texts name one of them is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..context import Data, RecordTable, SeriesTable
from ..data.tables import CellRef
from ..errors import Location, Problem

ENTITY_HEADER = re.compile(r"企业|公司|机构|主体|厂商|单位|集团")
_SPLIT = re.compile(r"[、，,；;及/]|等.*$")
MIN_NAME = 2
GENERIC = ("企业", "用户", "开发者", "伙伴", "部门", "机构", "高校", "院所", "协会", "联盟")
"""Endings of descriptions rather than names (区域制造企业, 企业用户, 科研院所)."""
ROLES = frozenset({"政府", "地方政府", "各级政府", "行业", "平台"})
"""Roles that stand in an organisation column without naming anyone."""


def organisations(data: Data) -> set[str]:
    """Names of organisations in the project's real (not illustrative) records."""
    names: set[str] = set()
    for table in data.tables():
        if table.illustrative or not isinstance(table, RecordTable):
            continue
        keys = [c for c in table.columns if ENTITY_HEADER.search(c)]
        for record in table.records:
            for key in keys:
                value = record.get(key)
                if isinstance(value, str):
                    names.update(
                        n.strip()
                        for n in _SPLIT.split(value)
                        if len(n.strip()) >= MIN_NAME and not n.strip().endswith(GENERIC) and n.strip() not in ROLES
                    )
    return names


def _texts(table: SeriesTable | RecordTable) -> Iterator[tuple[str, CellRef]]:
    """The row labels and the organisation columns of a table: what its values are attached to."""
    raw = table.raw
    entity = [bool(ENTITY_HEADER.search(c.base or c.name)) for c in raw.columns]
    for row in raw.rows:
        yield row.label, row.label_ref
        for value, ref, named in zip(row.values, row.refs, entity):
            if named and isinstance(value, str):
                yield value, ref


def illustrative_problems(data: Data) -> list[Problem]:
    names = organisations(data)
    out: list[Problem] = []
    if not names:
        return out
    for table in data.tables():
        if not table.illustrative:
            continue
        for text, ref in _texts(table):
            hit = next((n for n in sorted(names, key=len, reverse=True) if n in text), None)
            if hit is not None:
                out.append(
                    Problem(
                        "illustrative_real_name",
                        f"illustrative (示例) table names {hit!r}, a real "
                        f"organisation in the project's records ({text!r})",
                        Location(ref.file, ref.sheet, ref.cell),
                        hint="use an anonymous label (企业A, 企业B …) for illustrative values, or replace "
                        "them with sourced figures and set 示例 to 否",
                    )
                )
    return out
