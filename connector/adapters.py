"""Source adapters: the base class every ERP plugin implements, and the registry that finds them.

Built-in and third-party adapters register the same way, through the entry-point group
`kra_etims_connector.adapters` (name = adapter name, value = `module:Class`). A plugin:

    class MyAdapter(SourceAdapter):
        name = "myerp"
        Config = MyConfig                     # a pydantic model of its [sources.options]
        def fetch_new(self, cursor): ...      # yields (SourceDocument, next cursor)
        def to_canonical(self, document): ... # -> connector.models.Invoice (DocumentError if it cannot)
        def write_back(self, ref, receipt): ...
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connector.errors import ConfigurationError

ENTRY_POINT_GROUP = "kra_etims_connector.adapters"


class SourceDocument(BaseModel):
    """One invoice or credit note as the source has it, before it becomes canonical."""

    model_config = ConfigDict(frozen=True)

    external_id: str = Field(min_length=1)
    kind: Literal["invoice", "credit_note"] = "invoice"
    number: str | None = None
    ref: dict[str, Any] = Field(default_factory=dict)  # what write_back needs to find it again
    content: Any = None  # the raw document (JSON-serialisable)


class SourceAdapter(ABC):
    name: ClassVar[str]
    Config: ClassVar[type[BaseModel]]

    def __init__(self, config: BaseModel, mapping: Any, source_name: str | None = None) -> None:
        self.config = config
        self.mapping = mapping
        self.source_name = source_name or self.name

    @classmethod
    def from_options(cls, options: dict[str, Any], mapping: Any, source_name: str | None = None) -> SourceAdapter:
        try:
            config = cls.Config.model_validate(options)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigurationError(f"source {source_name or cls.name!r} ({cls.name}): {problems}") from None
        return cls(config, mapping, source_name)

    @abstractmethod
    def fetch_new(self, cursor: str | None) -> Iterator[tuple[SourceDocument, str | None]]:
        """Documents created or changed since `cursor`, each with the cursor to store after it."""

    @abstractmethod
    def to_canonical(self, document: SourceDocument) -> Any:
        """The canonical `Invoice`; raise `DocumentError` naming field and value when it cannot."""

    @abstractmethod
    def write_back(self, ref: dict[str, Any], receipt: Any) -> None:
        """Put KRA's receipt (number, signature, QR link…) into the source document."""

    def report_problem(self, ref: dict[str, Any], message: str) -> None:  # noqa: B027 - optional hook
        """Tell the source a document needs fixing (a note, an error file). Optional."""

    def health(self) -> str:
        """A one-line description of the source's reachability; raise if it is not reachable."""
        return "no health check"

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or files."""


def _load(entry: EntryPoint) -> type[SourceAdapter]:
    try:
        loaded = entry.load()
    except Exception as exc:  # a broken plugin must name itself
        raise ConfigurationError(f"adapter {entry.name!r} ({entry.value}) cannot be loaded: {exc}") from None
    if not (isinstance(loaded, type) and issubclass(loaded, SourceAdapter)):
        raise ConfigurationError(f"adapter {entry.name!r} ({entry.value}) is not a SourceAdapter subclass")
    if getattr(loaded, "name", None) != entry.name:
        raise ConfigurationError(
            f"adapter {entry.value} registers as {entry.name!r} but calls itself {getattr(loaded, 'name', None)!r}"
        )
    return loaded


def available_adapters(entries: list[EntryPoint] | None = None) -> dict[str, type[SourceAdapter]]:
    """Every registered adapter by name; duplicates and non-adapters are named errors."""
    found = list(entry_points(group=ENTRY_POINT_GROUP)) if entries is None else entries
    adapters: dict[str, type[SourceAdapter]] = {}
    values: dict[str, str] = {}
    for entry in found:
        if entry.name in values and values[entry.name] != entry.value:
            raise ConfigurationError(
                f"adapter name {entry.name!r} is registered twice: {values[entry.name]} and {entry.value}"
            )
        values[entry.name] = entry.value
        adapters[entry.name] = _load(entry)
    return adapters


def adapter_class(name: str, entries: list[EntryPoint] | None = None) -> type[SourceAdapter]:
    adapters = available_adapters(entries)
    if name not in adapters:
        known = ", ".join(sorted(adapters)) or "none"
        raise ConfigurationError(f"unknown adapter {name!r}; installed adapters: {known}")
    return adapters[name]
