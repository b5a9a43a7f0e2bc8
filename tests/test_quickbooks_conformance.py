"""The adapter conformance suite against the fake QuickBooks server (real python-quickbooks + intuit-oauth)."""

from connector.testing import conformance_suite
from plugins.quickbooks.harness import QuickBooksHarness

TestQuickBooksAdapter = conformance_suite(QuickBooksHarness)
