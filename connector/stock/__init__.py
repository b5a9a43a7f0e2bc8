"""Stock reporting (spec §2.3 insertStockIO / saveStockMaster, §7.6): movements, their sarNo, stock masters."""
