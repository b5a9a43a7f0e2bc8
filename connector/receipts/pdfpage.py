"""A small layer over fpdf2 for receipts and reports: A4, core fonts, Latin-1-safe text, table rows."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from connector.receipts.formatting import latin1

Column = tuple[str, float, str]  # text, width in mm, align ("L", "R", "C")


class Page(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_title(latin1(title))
        self.set_creator("kra-etims-connector")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)
        self.add_page()
        self.font()

    def font(self, size: float = 9, style: str = "", mono: bool = False) -> None:
        self.set_font("Courier" if mono else "Helvetica", style, size)

    def line_of_text(self, text: str, *, size: float = 9, style: str = "", align: str = "L", height: float = 5) -> None:
        self.font(size, style)
        self.multi_cell(0, height, latin1(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def row(self, columns: Sequence[Column], *, style: str = "", size: float = 9, border: str = "", fill=False) -> None:
        """One table row; long text is cut to its column (tables stay aligned)."""
        self.font(size, style)
        for text, width, align in columns:
            self.cell(width, 5.5, self._fit(latin1(text), width), border=border, align=align, fill=fill)
        self.ln(5.5)

    def pair(self, label: str, value: str, *, label_width: float = 42, mono: bool = False) -> None:
        self.font(9, "B")
        self.cell(label_width, 5, latin1(label))
        self.font(9, mono=mono)
        self.multi_cell(0, 5, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rule(self, thick: bool = False) -> None:
        self.set_line_width(0.5 if thick else 0.2)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)

    def _fit(self, text: str, width: float) -> str:
        if self.get_string_width(text) <= width - 2:
            return text
        while text and self.get_string_width(text + "...") > width - 2:
            text = text[:-1]
        return text + "..."

    def content_width(self) -> float:
        return self.w - self.l_margin - self.r_margin
