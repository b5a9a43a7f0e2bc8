"""kra-etims-connector: ERP invoices to KRA eTIMS tax invoices."""

__version__ = "0.1.0"
