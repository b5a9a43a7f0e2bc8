"""The connector's exception tree.

ConnectorError
├── ConfigurationError   bad or missing configuration (names the key and the file)
├── SecretKeyError       the at-rest encryption key is missing or does not fit the stored secrets
├── MappingError         a mapping file, table or key is missing or invalid
├── DocumentError        a source document cannot become a valid KRA invoice (names document,
│                        line, field and value); the document stays in the ledger as needs-fix
└── KraError             talking to KRA failed in a way the caller must see
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error the connector raises on purpose."""


class ConfigurationError(ConnectorError):
    pass


class SecretKeyError(ConnectorError):
    pass


class MappingError(ConnectorError):
    pass


class DocumentError(ConnectorError):
    """A problem with one document, precise enough for an accountant to fix it."""

    def __init__(
        self,
        message: str,
        *,
        document: str | None = None,
        field: str | None = None,
        value: object = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.document = document
        self.field = field
        self.value = value
        self.line = line
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.document:
            where.append(f"document {self.document}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field}")
        prefix = ", ".join(where)
        value = f" (value {self.value!r})" if self.value is not None else ""
        return f"{prefix}: {self.message}{value}" if prefix else f"{self.message}{value}"


class KraError(ConnectorError):
    pass
