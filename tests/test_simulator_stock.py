"""The simulator's GavaConnect stock rules: goods sold only from stock on record, sarNo in sequence, stock masters
that agree with the stock IO (spec §2.3 insertStockIO / saveStockMaster, §3.4, §7.6). Raw JSON over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from connector.kra.simulator import SimulatorConfig, start_simulator
from tests.simulator_helpers import AUDIT, GC_ITEM, LegacyDevice, credit_note, gc_sale

SERVICE = {**GC_ITEM, "itemCd": "KE3NTNO0000002", "itemTyCd": "3", "itemNm": "Delivery"}


def stock_io(sar_no: int, sar_type: str, quantity: int | str, item: dict[str, Any] = GC_ITEM) -> dict[str, Any]:
    amount = Decimal(quantity) * 100
    line = {"itemSeq": 1, "itemCd": item["itemCd"], "itemClsCd": item["itemClsCd"], "itemNm": item["itemNm"],
            "bcd": None, "pkgUnitCd": "NT", "pkg": 1, "qtyUnitCd": "NO", "qty": quantity, "itemExprDt": None,
            "prc": 100, "splyAmt": amount, "totDcAmt": 0, "taxblAmt": amount, "taxTyCd": "B",
            "taxAmt": amount * Decimal("0.16"), "totAmt": amount * Decimal("1.16")}  # fmt: skip
    return {"sarNo": sar_no, "orgSarNo": 0, "regTyCd": "M", "custTin": None, "custNm": None, "custBhfId": None,
            "sarTyCd": sar_type, "ocrnDt": "20260811", "totItemCnt": 1, "totTaxblAmt": amount,
            "totTaxAmt": line["taxAmt"], "totAmt": line["totAmt"], "remark": None, **AUDIT,
            "itemList": [line]}  # fmt: skip


def sale_of(invoice_no: int, quantity: int, item: dict[str, Any] = GC_ITEM) -> dict[str, Any]:
    """The §8.3 sample (1 × 100 incl. VAT) scaled to `quantity` of `item`."""
    total, taxable = Decimal(100 * quantity), (Decimal(100 * quantity) / Decimal("1.16")).quantize(Decimal("0.01"))
    sale = gc_sale(invoice_no, taxblAmtB=taxable, taxAmtB=total - taxable, totTaxblAmt=taxable,
                   totTaxAmt=total - taxable, totAmt=total)  # fmt: skip
    sale["itemList"][0].update(itemCd=item["itemCd"], itemNm=item["itemNm"], qty=quantity, splyAmt=total,
                               taxblAmt=taxable, taxAmt=total - taxable, totAmt=total)  # fmt: skip
    return sale


@pytest.fixture(params=[None, True], ids=["gavaconnect-profile", "legacy-paths-strict"])
def strict(request: pytest.FixtureRequest) -> Iterator[LegacyDevice]:
    profile = "gavaconnect" if request.param is None else "legacy"
    config = SimulatorConfig(port=0, profile=profile, strict=request.param, tax_rates={"E": 0}, seed=1)
    with start_simulator(config) as sim:
        device = LegacyDevice(sim)
        device.register_item()
        device.register_item(**SERVICE)
        yield device
        device.close()


def test_a_sale_of_goods_beyond_stock_is_refused_with_gavaconnects_text(strict: LegacyDevice) -> None:
    refused = strict.call("saveTrnsSalesOsdc", sale_of(1, 1))
    assert refused["resultCd"] != "000"
    assert refused["resultMsg"].startswith("Items provided under the itemList section do not exist in your stock")
    assert "KE2NTNO0000001 (in stock: 0, sold: 1)" in refused["resultMsg"]
    assert strict.call("insertStockIO", stock_io(1, "06", 3))["resultCd"] == "000"
    assert strict.call("saveTrnsSalesOsdc", sale_of(1, 3))["resultCd"] == "000"  # within stock: signed
    assert strict.call("insertStockIO", stock_io(2, "11", 3))["resultCd"] == "000"  # the sale's stock-out
    again = strict.call("saveTrnsSalesOsdc", sale_of(2, 1))
    assert "(in stock: 0, sold: 1)" in again["resultMsg"]


def test_services_and_credit_notes_need_no_stock(strict: LegacyDevice) -> None:
    assert strict.call("saveTrnsSalesOsdc", sale_of(1, 2, SERVICE))["resultCd"] == "000"
    assert strict.call("saveTrnsSalesOsdc", credit_note(2, 1, **_service_note()))["resultCd"] == "000"


def _service_note() -> dict[str, Any]:
    line = sale_of(1, 1, SERVICE)
    return {key: line[key] for key in ("taxblAmtB", "taxAmtB", "totTaxblAmt", "totTaxAmt", "totAmt", "itemList")}


def test_sar_numbers_follow_on_and_a_gap_names_the_expected_number(strict: LegacyDevice) -> None:
    assert strict.call("insertStockIO", stock_io(1, "06", 5))["resultCd"] == "000"
    gap = strict.call("insertStockIO", stock_io(3, "02", 1))
    assert gap["resultMsg"] == "Invalid sarNo: Expected: 2 but found: 3"
    assert strict.call("insertStockIO", stock_io(1, "02", 1))["resultCd"] == "994"  # already recorded


def test_stock_master_must_follow_the_stock_io(strict: LegacyDevice) -> None:
    master = {"itemCd": GC_ITEM["itemCd"], "rsdQty": 4, **AUDIT}
    assert strict.call("saveStockMaster", master)["resultMsg"] == (
        "Stock IO is empty, consider adding items to the stock IO first"
    )
    strict.call("insertStockIO", stock_io(1, "06", 5))
    strict.call("insertStockIO", stock_io(2, "16", "1.5"))
    assert strict.call("saveStockMaster", master)["resultMsg"] == "rsdQty mismatch. Expected: 3.5 but found: 4"
    assert strict.call("saveStockMaster", {**master, "rsdQty": Decimal("3.5")})["resultCd"] == "000"


NOT_ENFORCED = [
    SimulatorConfig(port=0, profile="gavaconnect", stock_enforced=False, tax_rates={"E": 0}, seed=1),
    SimulatorConfig(port=0, profile="legacy", seed=1),
]


@pytest.mark.parametrize("config", NOT_ENFORCED, ids=["enforcement-off", "legacy-lenient"])
def test_sales_of_goods_without_stock_pass_when_not_enforced(config: SimulatorConfig) -> None:
    with start_simulator(config) as sim:
        device = LegacyDevice(sim)
        device.register_item()
        sale = sale_of(1, 7)
        if config.profile == "legacy":
            sale = gc_sale(1)  # the legacy simulator checks its own amount convention, not stock
        answer = device.call("saveTrnsSalesOsdc", sale)
        device.close()
    assert answer["resultCd"] == "000", answer
