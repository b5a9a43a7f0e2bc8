"""The subset of QBO's query language the fake understands (spec §1.3, §2.5).

SELECT * | COUNT(*) | *, Sku | field, field FROM Entity
  [WHERE cond AND cond ...]           cond: field (= < > <= >= != <>) value | field IN (v, ...) | field LIKE 'a%'
  [ORDERBY | ORDER BY field [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS m]   (these three in any order)
Keywords and field names are case-insensitive (`Metadata.LastUpdatedTime` = `MetaData.LastUpdatedTime`);
strings are single-quoted with \\' escapes. QBO has no OR; neither has the fake. Anything else → 4001 fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .faults import invalid_query
from .wire import parse_time

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:\\.|[^'\\])*')|(?P<num>-?\d+(?:\.\d+)?)(?![\w.])|(?P<op><=|>=|!=|<>|=|<|>)"
    r"|(?P<punct>[(),*])|(?P<word>[A-Za-z_][\w.]*))"
)
MAX_RESULTS = 1000
DEFAULT_RESULTS = 100


@dataclass
class Condition:
    field: str
    op: str  # "=", "<", ">", "<=", ">=", "!=", "in", "like"
    value: Any  # str | Decimal | bool | list


@dataclass
class Query:
    entity: str
    count: bool = False
    fields: list[str] | None = None  # None = "*"
    extra_fields: list[str] = field(default_factory=list)  # "*, Sku"
    where: list[Condition] = field(default_factory=list)
    order_by: str | None = None
    descending: bool = False
    start: int = 1
    max_results: int = DEFAULT_RESULTS


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip().rstrip(";")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            snippet = text[position : position + 20]
            raise invalid_query(f'QueryParserError: Encountered "{snippet}" at column {position}')
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.index = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise invalid_query("QueryParserError: Encountered end of query")
        self.index += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() in words:
            self.index += 1
            return token[1].upper()
        return None

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            raise invalid_query(f'QueryParserError: Encountered "{(self.peek() or ("", "end"))[1]}", expected {word}')

    def value(self) -> Any:
        kind, text = self.next()
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "num":
            return Decimal(text)
        if kind == "word" and text.lower() in {"true", "false"}:
            return text.lower() == "true"
        raise invalid_query(f'QueryParserError: Encountered "{text}", expected a value')


def _number(reader: _Reader, what: str) -> int:
    kind, text = reader.next()
    if kind != "num":
        raise invalid_query(f'QueryParserError: {what} needs a number, got "{text}"')
    number = int(Decimal(text))
    if number < 1:
        raise invalid_query(f"QueryValidationError: value {number} is too small. Min allowed value is 1")
    if what == "MAXRESULTS" and number > MAX_RESULTS:
        raise invalid_query(f"QueryValidationError: value {number} is too large. Max allowed value is {MAX_RESULTS}")
    return number


def parse(text: str) -> Query:
    reader = _Reader(_tokens(text))
    reader.expect("SELECT")
    count, fields, extra = False, None, []
    if reader.keyword("COUNT"):
        if [reader.next()[1] for _ in range(3)] != ["(", "*", ")"]:
            raise invalid_query("QueryParserError: COUNT takes (*)")
        count = True
    else:
        selected = []
        while True:
            kind, token = reader.next()
            if kind not in {"word", "punct"} or token in {"(", ")", ","}:
                raise invalid_query(f'QueryParserError: Encountered "{token}" in the select list')
            selected.append(token)
            if not (reader.peek() and reader.peek() == ("punct", ",")):
                break
            reader.next()
        if selected[0] == "*":
            extra = selected[1:]
        else:
            fields = selected
    reader.expect("FROM")
    kind, entity = reader.next()
    if kind != "word":
        raise invalid_query(f'QueryParserError: Encountered "{entity}", expected an entity')
    query = Query(entity=entity, count=count, fields=fields, extra_fields=extra)
    if reader.keyword("WHERE"):
        while True:
            query.where.append(_condition(reader))
            if not reader.keyword("AND"):
                break
    while reader.peek() is not None:
        word = reader.keyword("ORDERBY", "ORDER", "STARTPOSITION", "MAXRESULTS")
        if word in {"ORDERBY", "ORDER"}:
            if word == "ORDER":
                reader.expect("BY")
            query.order_by = reader.next()[1]
            direction = reader.keyword("ASC", "DESC")
            query.descending = direction == "DESC"
        elif word == "STARTPOSITION":
            query.start = _number(reader, word)
        elif word == "MAXRESULTS":
            query.max_results = _number(reader, word)
        else:
            token = reader.next()[1]
            raise invalid_query(f'QueryParserError: Encountered "{token}"')
    return query


def _condition(reader: _Reader) -> Condition:
    kind, name = reader.next()
    if kind != "word":
        raise invalid_query(f'QueryParserError: Encountered "{name}", expected a field')
    if reader.keyword("IN"):
        if reader.next() != ("punct", "("):
            raise invalid_query("QueryParserError: IN needs (")
        values = [reader.value()]
        while reader.peek() == ("punct", ","):
            reader.next()
            values.append(reader.value())
        if reader.next() != ("punct", ")"):
            raise invalid_query("QueryParserError: IN needs )")
        return Condition(name, "in", values)
    if reader.keyword("LIKE"):
        return Condition(name, "like", reader.value())
    kind, op = reader.next()
    if kind != "op":
        raise invalid_query(f'QueryParserError: Encountered "{op}", expected an operator')
    return Condition(name, "!=" if op == "<>" else op, reader.value())


def lookup(obj: dict, path: str) -> Any:
    """A dotted field, case-insensitive; None when absent."""
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        keys = {key.lower(): key for key in value}
        if part.lower() not in keys:
            return None
        value = value[keys[part.lower()]]
    if isinstance(value, dict) and "value" in value and len(value) <= 2:
        return value["value"]  # CustomerRef = '1' compares the reference's value
    return value


def _comparable(actual: Any, literal: Any) -> tuple[Any, Any]:
    if isinstance(actual, datetime):
        return actual, parse_time(str(literal))
    if isinstance(actual, bool) or isinstance(literal, bool):
        return str(actual).lower(), str(literal).lower()
    try:
        return Decimal(str(actual)), Decimal(str(literal))
    except (InvalidOperation, ValueError):
        return str(actual), str(literal)


def _holds(actual: Any, condition: Condition) -> bool:
    if actual is None:
        return False
    if condition.op == "in":
        return any(_holds(actual, Condition(condition.field, "=", item)) for item in condition.value)
    if condition.op == "like":
        pattern = "^" + re.escape(str(condition.value)).replace("%", ".*") + "$"
        return re.match(pattern, str(actual), re.IGNORECASE | re.DOTALL) is not None
    left, right = _comparable(actual, condition.value)
    try:
        return {
            "=": left == right,
            "!=": left != right,
            "<": left < right,
            ">": left > right,
            "<=": left <= right,
            ">=": left >= right,
        }[condition.op]
    except TypeError:
        return False


def run(query: Query, rows: list[Any], resolve: Callable[[Any, str], Any]) -> tuple[list[Any], int]:
    """Filter, order and page `rows` (resolve(row, field) reads a field); returns (page, total matches)."""
    matched = [row for row in rows if all(_holds(resolve(row, cond.field), cond) for cond in query.where)]
    if query.order_by:

        def key(row: Any) -> tuple[int, Any]:
            value = resolve(row, query.order_by or "")
            if value is None:
                return (0, "")
            if isinstance(value, datetime):
                return (1, value.timestamp())
            try:
                return (1, Decimal(str(value)))
            except (InvalidOperation, ValueError):
                return (2, str(value))

        matched.sort(key=key, reverse=query.descending)
    total = len(matched)
    return matched[query.start - 1 : query.start - 1 + query.max_results], total
