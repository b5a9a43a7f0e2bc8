"""Purchases: suppliers' sales to us (selectTrnsPurchaseSalesList), matched with the source's bills and
confirmed with insertTrnsPurchase (issue 13, docs/purchases.md)."""
