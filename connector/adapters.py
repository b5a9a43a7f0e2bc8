"""Source adapters: the base class every ERP plugin implements, and the registry that finds them.

Built-in and third-party adapters register the same way, through the entry-point group
`kra_etims_connector.adapters` (name = adapter name, value = `module:Class`). A plugin:

    class MyAdapter(SourceAdapter):
        name = "myerp"
        Config = MyConfig                     # a pydantic model of its [sources.options]
        def fetch_new(self, cursor): ...      # yields (SourceDocument, next cursor)
        def to_canonical(self, document): ... # -> connector.models.Invoice (DocumentError if it cannot)
        def write_back(self, ref, receipt): ...

Optional capabilities a plugin declares by also subclassing them (the core asks `isinstance`):
`Listens` — the ERP pushes changes to a route on the connector's HTTP listener (`connector/service/`).
`ReportsStock` — the ERP knows stock: movements (`fetch_stock_moves`) and, optionally, quantities on hand.
`KnowsStockOnHand` — the ERP knows only a quantity on hand per item (`inventory`); the core turns its changes into
adjustments (connector/stock/on_hand.py).
`RecordsBills` — the ERP records supplier bills (`fetch_bills`), matched with suppliers' sales KRA lists.
Optional hooks: `preflight()` (problems that stop `run`), `advice()` (what `doctor` recommends),
`report_problem()`, `health()`, `close()`. `self.secrets` is the source's encrypted secret store;
`self.ledger()` (when the core runs the adapter) gives the ledger, to read what KRA signed (receipt PDFs).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connector.errors import ConfigurationError

if TYPE_CHECKING:
    from connector.source_credentials import SourceSecrets

ENTRY_POINT_GROUP = "kra_etims_connector.adapters"


class SourceDocument(BaseModel):
    """One invoice or credit note as the source has it, before it becomes canonical."""

    model_config = ConfigDict(frozen=True)

    external_id: str = Field(min_length=1)
    kind: Literal["invoice", "credit_note"] = "invoice"
    number: str | None = None
    ref: dict[str, Any] = Field(default_factory=dict)  # what write_back needs to find it again
    content: Any = None  # the raw document (JSON-serialisable)
    retry_requested: bool = False  # the user asked, in the source, to send a needs-fix document again
    withdrawn: str | None = None  # "voided in QuickBooks", "deleted in …": the source no longer stands by it


class SourceAdapter(ABC):
    name: ClassVar[str]
    Config: ClassVar[type[BaseModel]]

    def __init__(
        self, config: BaseModel, mapping: Any, source_name: str | None = None, secrets: SourceSecrets | None = None
    ) -> None:
        self.config = config
        self.mapping = mapping
        self.source_name = source_name or self.name
        self.secrets = secrets
        self.ledger: Callable[[], Any] | None = None  # read-only view of the core's ledger, set by the core

    @classmethod
    def from_options(
        cls,
        options: dict[str, Any],
        mapping: Any,
        source_name: str | None = None,
        secrets: SourceSecrets | None = None,
    ) -> SourceAdapter:
        try:
            config = cls.Config.model_validate(options)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigurationError(f"source {source_name or cls.name!r} ({cls.name}): {problems}") from None
        return cls(config, mapping, source_name, secrets)

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

    def preflight(self) -> list[str]:
        """Problems that must stop `run` (and that `doctor` reports); empty when the source is fit to run."""
        return []

    def advice(self) -> list[str]:
        """Recommendations `doctor` prints (e.g. "install the addon"); they do not stop anything."""
        return []

    def health(self) -> str:
        """A one-line description of the source's reachability; raise if it is not reachable."""
        return "no health check"

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or files."""


@dataclass
class WebhookAnswer:
    """What an adapter makes of one webhook request."""

    status: int = 200  # 401 for a bad signature or token
    keys: list[str] = field(default_factory=list)  # adapter-defined keys of changed documents to fetch
    body: str = ""


class Listens(ABC):
    """Capability: the ERP pushes changes to `webhook_path` on the connector's HTTP listener.

    The listener answers at once; the keys are queued and `fetch_changed` runs in the background.
    Several sources may listen on one path (two QuickBooks realms): each keeps only its own keys.
    """

    webhook_path: ClassVar[str]

    @abstractmethod
    def accept_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        """Verify and parse one request; fast, no network calls. Header names are lower-case."""

    @abstractmethod
    def fetch_changed(self, keys: list[str]) -> Iterator[SourceDocument]:
        """The current version of each changed document (documents we do not send are skipped)."""


class ReportsStock(ABC):
    """Capability: the source knows stock (connector/stock/models.py says what a movement is).

    The core reports these movements to KRA (insertStockIO) before the sales that need the stock. Deliveries to
    customers and returns from them are left out: the connector reports those from the signed documents.
    """

    # Whether the movements include goods received against supplier bills (then a confirmed purchase is no
    # stock-in of its own). False: the source's bills are not among its movements (the CSV stock file).
    stock_includes_purchases: ClassVar[bool] = True

    @abstractmethod
    def fetch_stock_moves(self, cursor: str | None) -> Iterator[tuple[Any, str | None]]:
        """Yields (connector.stock.models.StockMove, next cursor) for movements after `cursor`, oldest first."""

    def stock_on_hand(self, branch: str | None, item_codes: list[str]) -> dict[str, Any]:
        """The source's quantity on hand per item code (Decimal), for `stock status`; {} when unknown."""
        return {}


@dataclass(frozen=True)
class InventoryItem:
    """One item whose quantity on hand the source keeps: what registering it needs, and the quantity."""

    external_id: str  # the source's own id of the item (stable: it names the item's adjustments)
    item: Any  # connector.models.ItemRef, with the code the source's invoices use for it
    unit: str  # the source's unit of measure, looked up in the mapping's [units]
    unit_cost: Decimal  # per unit, in KES, VAT excluded (0: the item's registered default price)
    taxes: list[Any]  # connector.models.Tax: the item's sales VAT, as the source's invoices map it
    on_hand: Decimal  # the source's quantity on hand now (may be negative)


class KnowsStockOnHand(ABC):
    """Capability: the source knows a quantity on hand per item, not the movements behind it (QuickBooks Online).

    The core reconciles (connector/stock/on_hand.py): a first sync reports an opening adjustment (06), later a
    change of the quantity that the documents the connector reports itself do not explain becomes an
    adjustment (06 in, 16 out). The quantities go to the source's default device.
    """

    stock_label: ClassVar[str] = ""  # starts the adjustments' numbers ("QuickBooks stock Flour"); "": source name

    @abstractmethod
    def inventory(self) -> list[InventoryItem]:
        """Every item whose quantity on hand the source keeps, with that quantity now."""

    def stock_on_hand(self, branch: str | None, item_codes: list[str]) -> dict[str, Any]:
        """The source's quantity on hand per item code (Decimal), for `stock status`; {} when unknown."""
        return {}


class RecordsBills(ABC):
    """Capability: the source records supplier bills (connector/purchases/models.py says what a bill is).

    The core matches each bill with the sale its supplier reported to KRA (supplier PIN + supplier invoice
    number) and confirms that purchase (insertTrnsPurchase); when the source is not `ReportsStock`, the
    bill's goods are also reported as a stock-in (purchase, 02).
    """

    @abstractmethod
    def fetch_bills(self, cursor: str | None) -> Iterator[tuple[Any, str | None]]:
        """Yields (connector.purchases.models.Bill, next cursor) for bills after `cursor`, oldest first."""


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


def _entries_by_name(entries: list[EntryPoint] | None) -> dict[str, EntryPoint]:
    found = list(entry_points(group=ENTRY_POINT_GROUP)) if entries is None else entries
    by_name: dict[str, EntryPoint] = {}
    for entry in found:
        if entry.name in by_name and by_name[entry.name].value != entry.value:
            raise ConfigurationError(
                f"adapter name {entry.name!r} is registered twice: {by_name[entry.name].value} and {entry.value}"
            )
        by_name[entry.name] = entry
    return by_name


def available_adapters(entries: list[EntryPoint] | None = None) -> dict[str, type[SourceAdapter]]:
    """Every registered adapter by name; duplicates and non-adapters are named errors."""
    return {name: _load(entry) for name, entry in _entries_by_name(entries).items()}


def adapter_class(name: str, entries: list[EntryPoint] | None = None) -> type[SourceAdapter]:
    """One adapter, loading only its own plugin (a broken unrelated plugin does not stop this one)."""
    by_name = _entries_by_name(entries)
    if name not in by_name:
        known = ", ".join(sorted(by_name)) or "none"
        raise ConfigurationError(f"unknown adapter {name!r}; installed adapters: {known}")
    return _load(by_name[name])
