"""Which handler answers which path, for both path families (spec §2.1)."""

from __future__ import annotations

from collections.abc import Callable

from connector.kra.simulator import handlers, purchases, sales, stock
from connector.kra.simulator.calls import Answer, Call

Handler = Callable[[Call], Answer]

INITIALIZE = "selectInitOsdcInfo"
SAVE_SALE = "saveTrnsSalesOsdc"

# legacy function name → handler
HANDLERS: dict[str, Handler] = {
    INITIALIZE: handlers.initialize,
    "selectCodeList": handlers.select_code_list,
    "selectItemClsList": handlers.select_item_classes,
    "selectCustomer": handlers.select_customer,
    "selectNoticeList": handlers.select_notices,
    "selectBhfList": handlers.select_branches,
    "saveBhfCustomer": handlers.save_customer,
    "saveBhfUser": handlers.save_user,
    "saveBhfInsurance": handlers.save_insurance,
    "selectItemList": handlers.select_items,
    "saveItem": handlers.save_item,
    "saveItemComposition": stock.save_item_composition,
    "selectImportItemList": handlers.select_import_items,
    "updateImportItem": handlers.update_import_item,
    SAVE_SALE: sales.save_sale,
    "selectInvoiceDetails": sales.select_invoice_details,
    "selectTrnsPurchaseSalesList": purchases.select_supplier_sales,
    "insertTrnsPurchase": purchases.insert_purchase,
    "selectStockMoveList": stock.select_stock_moves,
    "insertStockIO": stock.insert_stock_io,
    "saveStockMaster": stock.save_stock_master,
}

# GavaConnect path → legacy function name (legacy names are accepted there too)
GAVACONNECT_ALIASES: dict[str, str] = {
    "initialize": INITIALIZE,
    "selectItemClass": "selectItemClsList",
    "selectTaxpayerInfo": "selectCustomer",
    "selectCustomerList": "selectCustomer",
    "customerPinInfo": "selectCustomer",
    "branchList": "selectBhfList",
    "branchSendCustomerInfo": "saveBhfCustomer",
    "branchUserAccount": "saveBhfUser",
    "branchInsuranceInfo": "saveBhfInsurance",
    "itemInfo": "selectItemList",
    "importedItemInfo": "selectImportItemList",
    "importedItemConvertedInfo": "importedItemConvertedInfo",
    "sendSalesTransaction": SAVE_SALE,
    "selectInvoiceDetail": "selectInvoiceDetails",
    "selectInvoiceDtl": "selectInvoiceDetails",
    "getPurchaseTransactionInfo": "selectTrnsPurchaseSalesList",
    "sendPurchaseTransactionInfo": "insertTrnsPurchase",
    "selectStockMoveLists": "selectStockMoveList",
    "insert/stockIO": "insertStockIO",
    "save/stockMaster": "saveStockMaster",
}
GAVACONNECT_ONLY: dict[str, Handler] = {"importedItemConvertedInfo": handlers.accept_without_saving}

# GavaConnect wants tin (and bhfId) in the body of these, not only in the headers
GAVACONNECT_BODY_TIN = {INITIALIZE, "selectStockMoveList", "selectTrnsPurchaseSalesList"}


def legacy_function(name: str) -> str | None:
    return name if name in HANDLERS else None


def gavaconnect_function(path: str) -> str | None:
    function = GAVACONNECT_ALIASES.get(path, path)
    return function if function in HANDLERS or function in GAVACONNECT_ONLY else None


def handler_for(function: str) -> Handler:
    return HANDLERS.get(function) or GAVACONNECT_ONLY[function]
