"""The adapter registry: entry points are validated when they are loaded."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint

import pytest
from pydantic import BaseModel

from connector.adapters import SourceAdapter, adapter_class, available_adapters
from connector.errors import ConfigurationError


class NoOptions(BaseModel):
    pass


class GoodAdapter(SourceAdapter):
    name = "good"
    Config = NoOptions

    def fetch_new(self, cursor):  # pragma: no cover - never called here
        return iter(())

    def to_canonical(self, document):  # pragma: no cover
        raise NotImplementedError

    def write_back(self, ref, receipt):  # pragma: no cover
        pass


class NotAnAdapter:
    name = "plain"


@pytest.fixture(autouse=True)
def fake_module() -> None:
    module = types.ModuleType("fake_plugins")
    module.GoodAdapter = GoodAdapter
    module.NotAnAdapter = NotAnAdapter
    sys.modules["fake_plugins"] = module
    yield
    del sys.modules["fake_plugins"]


def entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group="kra_etims_connector.adapters")


def test_the_csv_adapter_is_registered_through_entry_points() -> None:
    from plugins.csv.adapter import CsvAdapter

    assert adapter_class("csv") is CsvAdapter


def test_a_broken_plugin_does_not_stop_another_one() -> None:
    entries = [entry("good", "fake_plugins:GoodAdapter"), entry("broken", "fake_plugins:Missing")]
    assert adapter_class("good", entries) is GoodAdapter
    with pytest.raises(ConfigurationError, match=r"'broken'.*cannot be loaded"):
        available_adapters(entries)


def test_a_third_party_adapter_registers_the_same_way() -> None:
    assert adapter_class("good", [entry("good", "fake_plugins:GoodAdapter")]) is GoodAdapter


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([entry("good", "fake_plugins:GoodAdapter")], "unknown adapter 'odoo'; installed adapters: good"),
        ([entry("odoo", "fake_plugins:NotAnAdapter")], "is not a SourceAdapter subclass"),
        ([entry("odoo", "fake_plugins:Missing")], "cannot be loaded"),
        ([entry("odoo", "fake_plugins:GoodAdapter")], "registers as 'odoo' but calls itself 'good'"),
        (
            [entry("good", "fake_plugins:GoodAdapter"), entry("good", "other_package:GoodAdapter")],
            "registered twice",
        ),
    ],
)
def test_bad_registrations_are_named(entries: list[EntryPoint], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        adapter_class("odoo", entries)


def test_bad_adapter_options_name_the_source() -> None:
    from plugins.csv.adapter import CsvAdapter

    with pytest.raises(ConfigurationError, match=r"source 'shop' \(csv\): folder"):
        CsvAdapter.from_options({}, None, "shop")
