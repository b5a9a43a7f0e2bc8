"""The one table of KRA endpoints: legacy OSCU names and GavaConnect paths (spec §2.1)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from connector.kra import payloads as p


@dataclass(frozen=True)
class Endpoint:
    name: str  # our plain-English name
    legacy: str  # legacy OSCU / VSCU function
    gavaconnect: str  # GavaConnect path (below /etims-oscu/api/v1)
    data_model: type[BaseModel] | None  # model of `data` on success, None when data is null

    def path(self, profile: str) -> str:
        return self.gavaconnect if profile == "gavaconnect" else self.legacy


def _e(name: str, legacy: str, gava: str, model: type[BaseModel] | None) -> Endpoint:
    return Endpoint(name, legacy, gava, model)


ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        _e("initialize", "selectInitOsdcInfo", "initialize", p.InitData),
        _e("select_codes", "selectCodeList", "selectCodeList", p.CodeListData),
        _e("select_item_classes", "selectItemClsList", "selectItemClass", p.ItemClassListData),
        _e("select_customer", "selectCustomer", "selectTaxpayerInfo", p.CustomerListData),
        _e("select_notices", "selectNoticeList", "selectNoticeList", p.NoticeListData),
        _e("select_branches", "selectBhfList", "branchList", p.BranchListData),
        _e("save_branch_customer", "saveBhfCustomer", "branchSendCustomerInfo", None),
        _e("save_branch_user", "saveBhfUser", "branchUserAccount", None),
        _e("save_branch_insurance", "saveBhfInsurance", "branchInsuranceInfo", None),
        _e("select_items", "selectItemList", "itemInfo", p.ItemListData),
        _e("save_item", "saveItem", "saveItem", None),
        _e("save_item_composition", "saveItemComposition", "saveItemComposition", None),
        _e("select_imports", "selectImportItemList", "importedItemInfo", p.ImportItemListData),
        _e("update_import", "updateImportItem", "updateImportItem", None),
        _e("save_sale", "saveTrnsSalesOsdc", "sendSalesTransaction", p.SaleResponseData),
        _e("select_invoice", "selectInvoiceDetails", "selectInvoiceDetail", p.InvoiceDetailsData),
        _e(
            "select_purchases",
            "selectTrnsPurchaseSalesList",
            "getPurchaseTransactionInfo",
            p.PurchaseSalesListData,
        ),
        _e("save_purchase", "insertTrnsPurchase", "sendPurchaseTransactionInfo", None),
        _e("select_stock_moves", "selectStockMoveList", "selectStockMoveLists", p.StockMoveListData),
        _e("save_stock_io", "insertStockIO", "insert/stockIO", None),
        _e("save_stock_master", "saveStockMaster", "save/stockMaster", None),
    )
}
