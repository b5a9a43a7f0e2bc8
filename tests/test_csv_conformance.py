"""The CSV drop folder passes the adapter conformance suite."""

from connector.testing import conformance_suite
from plugins.csv.testing import CsvHarness

TestCsvConformance = conformance_suite(CsvHarness)
