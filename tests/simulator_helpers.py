"""Raw-JSON helpers for talking to the KRA simulator over HTTP (no project client involved)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import httpx

from connector import jsonio
from connector.kra.simulator import Simulator

PIN = "P051234567A"
BUYER_PIN = "A000123456F"
AUDIT = {"regrId": "tester", "regrNm": "Tester", "modrId": "tester", "modrNm": "Tester"}

# spec §8.2, GavaConnect-validated item
GC_ITEM: dict[str, Any] = {
    "itemCd": "KE2NTNO0000001",
    "itemClsCd": "1010150000",
    "itemTyCd": "2",
    "itemNm": "Test Item",
    "orgnNatCd": "KE",
    "pkgUnitCd": "NT",
    "qtyUnitCd": "NO",
    "taxTyCd": "B",
    "btchNo": None,
    "bcd": None,
    "dftPrc": 100,
    "isrcAplcbYn": "N",
    "useYn": "Y",
    **AUDIT,
}

# spec §8.3, the sale the GavaConnect validator accepted (100 incl. VAT → 86.21 + 13.79)
GC_SALE: dict[str, Any] = {
    "invcNo": 1,
    "orgInvcNo": 0,
    "trdInvcNo": "INV-0001",
    "custTin": None,
    "custNm": None,
    "salesTyCd": "N",
    "rcptTyCd": "S",
    "pmtTyCd": "01",
    "salesSttsCd": "02",
    "cfmDt": "20260811103000",
    "salesDt": "20260811",
    "stockRlsDt": "20260811103000",
    "cnclReqDt": None,
    "cnclDt": None,
    "rfdDt": None,
    "rfdRsnCd": None,
    "totItemCnt": 1,
    "taxblAmtA": 0,
    "taxblAmtB": Decimal("86.21"),
    "taxblAmtC": 0,
    "taxblAmtD": 0,
    "taxblAmtE": 0,
    "taxRtA": 0,
    "taxRtB": 16,
    "taxRtC": 0,
    "taxRtD": 0,
    "taxRtE": 0,
    "taxAmtA": 0,
    "taxAmtB": Decimal("13.79"),
    "taxAmtC": 0,
    "taxAmtD": 0,
    "taxAmtE": 0,
    "totTaxblAmt": Decimal("86.21"),
    "totTaxAmt": Decimal("13.79"),
    "totAmt": 100,
    "prchrAcptcYn": "N",
    "remark": None,
    **AUDIT,
    "receipt": {
        "custTin": None,
        "custMblNo": None,
        "rcptPbctDt": "20260811103000",
        "trdeNm": "Test TIS",
        "adrs": None,
        "topMsg": None,
        "btmMsg": None,
        "prchrAcptcYn": "N",
    },
    "itemList": [
        {
            "itemSeq": 1,
            "itemCd": "KE2NTNO0000001",
            "itemClsCd": "1010150000",
            "itemNm": "Test Item",
            "bcd": None,
            "pkgUnitCd": "NT",
            "pkg": 1,
            "qtyUnitCd": "NO",
            "qty": 1,
            "prc": 100,
            "splyAmt": 100,
            "dcRt": 0,
            "dcAmt": 0,
            "taxTyCd": "B",
            "taxblAmt": Decimal("86.21"),
            "taxAmt": Decimal("13.79"),
            "totAmt": 100,
        }
    ],
}


def gc_sale(invoice_no: int, **changes: Any) -> dict[str, Any]:
    """The §8.3 GavaConnect sample with another invoice number and header changes."""
    sale = copy.deepcopy(GC_SALE)
    sale["invcNo"] = invoice_no
    sale.update(changes)
    return sale


def legacy_convention_sale(invoice_no: int) -> dict[str, Any]:
    """Convention (2): 100 net + 16 VAT = 116 (what Odoo sent to the legacy sandbox)."""
    sale = gc_sale(invoice_no, taxblAmtB=100, taxAmtB=16, totTaxblAmt=100, totTaxAmt=16, totAmt=116)
    sale["itemList"][0].update(taxblAmt=100, taxAmt=16, totAmt=116)
    return sale


def credit_note(invoice_no: int, original_no: int, **changes: Any) -> dict[str, Any]:
    note = gc_sale(invoice_no, rcptTyCd="R", orgInvcNo=original_no, rfdRsnCd="06", rfdDt="20260812090000")
    note.update(changes)
    return note


def post_json(client: httpx.Client, url: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """POST a body serialised with exact decimals."""
    content = jsonio.dumps(body).encode()
    merged = {"Content-Type": "application/json", **(headers or {})}
    return client.post(url, content=content, headers=merged)


def parsed(response: httpx.Response) -> Any:
    """The JSON answer, with numbers as Decimal."""
    return jsonio.loads(response.content)


class LegacyDevice:
    """An initialised device talking to the legacy `/etims-api/` paths."""

    def __init__(self, sim: Simulator, tin: str = PIN, bhf_id: str = "00", serial: str = "dvc-1", timeout: float = 5.0):
        self.sim = sim
        self.http = httpx.Client(timeout=timeout)
        answer = self.init(tin, bhf_id, serial)
        assert answer["resultCd"] == "000", answer
        self.tin, self.bhf_id = tin, bhf_id
        self.info = answer["data"]["info"]
        self.headers = {"tin": tin, "bhfId": bhf_id, "cmcKey": self.info["cmcKey"]}

    def init(self, tin: str, bhf_id: str, serial: str) -> dict[str, Any]:
        body = {"tin": tin, "bhfId": bhf_id, "dvcSrlNo": serial}
        return parsed(post_json(self.http, self.sim.legacy_base + "/selectInitOsdcInfo", body))

    def call(self, function: str, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = post_json(self.http, f"{self.sim.legacy_base}/{function}", body, headers or self.headers)
        assert response.status_code == 200, response.text
        return parsed(response)

    def register_item(self, **changes: Any) -> dict[str, Any]:
        answer = self.call("saveItem", {**GC_ITEM, **changes})
        assert answer["resultCd"] == "000", answer
        return answer

    def close(self) -> None:
        self.http.close()


class GavaDevice:
    """A device behind the GavaConnect gateway: OAuth token, `apigee_app_id`, wrapped answers."""

    def __init__(self, sim: Simulator, tin: str = PIN, bhf_id: str = "00", serial: str = "gc-1"):
        self.sim = sim
        self.http = httpx.Client(timeout=5.0)
        token = self.http.get(sim.token_url, params={"grant_type": "client_credentials"}, auth=("key", "secret"))
        assert token.status_code == 200, token.text
        self.gateway = {"Authorization": f"Bearer {token.json()['access_token']}", "apigee_app_id": "app-1"}
        answer = self.post("initialize", {"tin": tin, "bhfId": bhf_id, "dvcSrlNo": serial}, self.gateway)
        assert answer.status_code == 200, answer.text
        info = parsed(answer)["responseBody"]["data"]["info"]
        self.headers = {**self.gateway, "tin": tin, "bhfId": bhf_id, "cmcKey": info["cmcKey"]}

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        return post_json(self.http, f"{self.sim.gavaconnect_base}/{path}", body, headers or self.headers)

    def close(self) -> None:
        self.http.close()
