"""Odoo search domains (prefix notation with '&', '|', '!') and `order` strings, evaluated on raw records."""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from plugins.odoo.testing.store import Store

Record = dict[str, Any]


class DomainError(ValueError):
    """A domain Odoo would refuse (unknown field or operator); the message is Odoo's."""


def compile_domain(store: Store, model: str, domain: list[Any]) -> Callable[[Record], bool]:
    """A predicate for `domain` (Odoo normalises a list of leaves to an implicit AND)."""
    items = list(domain or [])
    position = 0

    def parse() -> Callable[[Record], bool]:
        nonlocal position
        if position >= len(items):
            raise DomainError(f"Invalid domain: {domain!r}")
        item = items[position]
        position += 1
        if item == "!":
            inner = parse()
            return lambda record: not inner(record)
        if item in ("&", "|"):
            left, right = parse(), parse()
            if item == "&":
                return lambda record: left(record) and right(record)
            return lambda record: left(record) or right(record)
        return _leaf(store, model, item)

    predicates = []
    while position < len(items):
        predicates.append(parse())
    return lambda record: all(predicate(record) for predicate in predicates)


def _leaf(store: Store, model: str, leaf: Any) -> Callable[[Record], bool]:
    if not isinstance(leaf, list | tuple) or len(leaf) != 3:
        raise DomainError(f"Invalid leaf {leaf!r}")
    path, operator, value = leaf
    if path in (0, 1) and operator == "=":  # TRUE_LEAF / FALSE_LEAF
        return lambda record: path == value
    names = str(path).split(".")
    fields = store.schema[model]
    if names[0] not in fields:
        raise DomainError(f"Invalid field {model}.{names[0]} in leaf {tuple(leaf)!r}")
    field = fields[names[0]]
    if len(names) > 1:
        if field.type != "many2one" or not field.relation:
            raise DomainError(f"Invalid field {model}.{path} in leaf {tuple(leaf)!r}")
        relation, rest = field.relation, ".".join(names[1:])
        inner = _leaf(store, relation, [rest, operator, value])

        def follow(record: Record) -> bool:
            target = record.get(names[0])
            return bool(target) and target in store.tables[relation] and inner(store.tables[relation][target])

        return follow
    if operator == "=?":
        if value is False or value is None:
            return lambda record: True
        operator = "="
    compare = _OPERATORS.get(operator)
    if compare is None:
        raise DomainError(f"Invalid operator {operator!r} in leaf {tuple(leaf)!r}")
    name, kind = names[0], field.type
    if kind == "many2one" and isinstance(value, str) and operator in ("=", "!=", "like", "ilike", "not ilike"):
        # ('partner_id', 'ilike', 'Acme'): Odoo matches the related record's display name.
        relation = field.relation or ""
        return lambda record: compare(store.display_name(relation, record[name]) if record.get(name) else False, value)
    if kind in ("one2many", "many2many"):
        wanted = set(value if isinstance(value, list | tuple) else [value])
        if operator in ("in", "="):
            return lambda record: bool(wanted & set(record.get(name) or []))
        if operator in ("not in", "!="):
            return lambda record: not wanted & set(record.get(name) or [])
    return lambda record: compare(_comparable(record.get(name, False)), value)


def _comparable(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        if left is False or left is None or right is False or right is None:
            return False  # SQL: NULL compares as unknown
        return op(left, right)

    return compare


def _like(pattern: Any, value: Any, case: bool, anchored: bool) -> bool:
    if value is False or value is None:
        return False
    text, pattern = str(value), str(pattern)
    if not case:
        text, pattern = text.lower(), pattern.lower()
    if anchored:  # =like / =ilike: SQL wildcards
        return fnmatch.fnmatchcase(text, pattern.replace("%", "*").replace("_", "?"))
    return pattern in text


def _equal(left: Any, right: Any) -> bool:
    if right is False or right is None:
        return left is False or left is None or left == ""
    return left == right


def _in(left: Any, right: Any) -> bool:
    values = list(right) if isinstance(right, list | tuple) else [right]
    if left is False or left is None:
        return False in values or None in values
    return left in values


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": _equal,
    "!=": lambda left, right: not _equal(left, right),
    "<>": lambda left, right: not _equal(left, right),
    "in": _in,
    "not in": lambda left, right: not _in(left, right),
    "<": _ordered(lambda left, right: left < right),
    "<=": _ordered(lambda left, right: left <= right),
    ">": _ordered(lambda left, right: left > right),
    ">=": _ordered(lambda left, right: left >= right),
    "like": lambda left, right: _like(right, left, True, False),
    "ilike": lambda left, right: _like(right, left, False, False),
    "not like": lambda left, right: not _like(right, left, True, False),
    "not ilike": lambda left, right: not _like(right, left, False, False),
    "=like": lambda left, right: _like(right, left, True, True),
    "=ilike": lambda left, right: _like(right, left, False, True),
}


def sort_records(store: Store, model: str, records: list[Record], order: str | None, default: str) -> list[Record]:
    """Sort like PostgreSQL would for `order` ("write_date asc, id asc"); NULLs last ascending, first descending."""
    terms = []
    for part in (order or default).split(","):
        words = part.split()
        if not words:
            continue
        name = words[0]
        if name not in store.schema[model]:
            raise DomainError(f"Invalid field {name!r} on model {model!r}")
        descending = len(words) > 1 and words[1].lower() == "desc"
        terms.append((name, descending))

    def compare(a: Record, b: Record) -> int:
        for name, descending in terms:
            left, right = _sort_value(store, model, name, a), _sort_value(store, model, name, b)
            if left == right:
                continue
            if left is None or right is None:  # NULLS LAST when ascending
                result = 1 if left is None else -1
            elif left < right:
                result = -1
            else:
                result = 1
            return -result if descending else result
        return 0

    return sorted(records, key=functools.cmp_to_key(compare))


def _sort_value(store: Store, model: str, name: str, record: Record) -> Any:
    value = record.get(name, False)
    if value is False or value is None:
        return None
    field = store.schema[model][name]
    if field.type == "many2one":
        return store.display_name(field.relation or "", value)
    return _comparable(value)
