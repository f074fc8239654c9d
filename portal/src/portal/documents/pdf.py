"""The seeded documents as real PDF files (fpdf2), in Dutch as the insurer sends them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from portal.support.insurer import INSURER


@dataclass(frozen=True)
class Letterhead:
    """Who the document is for: the employer, its postal address and the scheme."""

    employer: str
    street: str
    postcode: str
    city: str
    scheme: str
    contract_number: str


def euro(amount: Decimal) -> str:
    """An amount as the documents print it; the PDF core fonts have no euro sign, so 'EUR'."""
    return "EUR " + format_decimal(amount, "#,##0.00", locale="nl_NL")


def _document(title: str, issued: date, head: Letterhead) -> FPDF:
    pdf = FPDF()
    # A fixed creation date: the same seed gives byte-identical files.
    pdf.set_creation_date(datetime(issued.year, issued.month, issued.day, tzinfo=UTC))
    pdf.set_title(title)
    pdf.set_author(INSURER.name)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(0, 6, INSURER.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 10)
    for line in (head.employer, head.street, f"{head.postcode} {head.city}"):
        pdf.cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 10)
    pdf.cell(0, 5, f"Pensioenregeling: {head.scheme} (contract {head.contract_number})", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 5, f"Datum: {issued:%d-%m-%Y}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    return pdf


def _table(pdf: FPDF, rows: list[tuple[str, str]], total: tuple[str, str] | None = None) -> None:
    for label, value in rows:
        pdf.cell(130, 6, label, border="B")
        pdf.cell(0, 6, value, border="B", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if total:
        pdf.set_font("helvetica", "B", 10)
        pdf.cell(130, 7, total[0])
        pdf.cell(0, 7, total[1], align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("helvetica", "", 10)


def _paragraphs(pdf: FPDF, *texts: str) -> None:
    for text in texts:
        pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)


def invoice(head: Letterhead, issued: date, number: str, period: str, premiums: list[tuple[str, Decimal]]) -> bytes:
    """A premium invoice (factuur) for one month."""
    pdf = _document(f"Factuur {number}", issued, head)
    _paragraphs(pdf, f"Premie pensioenregeling over {period}.")
    total = sum((amount for _, amount in premiums), Decimal(0))
    _table(pdf, [(label, euro(amount)) for label, amount in premiums], ("Totaal te betalen", euro(total)))
    pdf.ln(6)
    _paragraphs(pdf, "Wij verzoeken u het totaalbedrag binnen 30 dagen over te maken onder vermelding van het factuurnummer.")
    return bytes(pdf.output())


def booking_overview(head: Letterhead, issued: date, year: int, bookings: list[tuple[str, Decimal]]) -> bytes:
    """A booking overview (boekingsoverzicht) of the current account for one year."""
    pdf = _document(f"Boekingsoverzicht {year}", issued, head)
    _paragraphs(pdf, f"Overzicht van de boekingen op uw rekening-courant over {year}.")
    balance = sum((amount for _, amount in bookings), Decimal(0))
    _table(pdf, [(label, euro(amount)) for label, amount in bookings], ("Saldo", euro(balance)))
    return bytes(pdf.output())


def reminder(head: Letterhead, issued: date, invoice_number: str, amount: Decimal) -> bytes:
    """A payment reminder (aanmaning) for an unpaid invoice."""
    pdf = _document(f"Aanmaning factuur {invoice_number}", issued, head)
    _paragraphs(
        pdf,
        f"Wij hebben de betaling van factuur {invoice_number} ter hoogte van {euro(amount)} nog niet ontvangen.",
        "Wij verzoeken u het bedrag binnen 14 dagen te voldoen. Heeft u al betaald? Dan kunt u deze aanmaning "
        "als niet verzonden beschouwen.",
    )
    return bytes(pdf.output())


def legal_text(head: Letterhead, issued: date, title: str, articles: list[tuple[str, str]]) -> bytes:
    """A legal document (regulations, agreement, addendum) as numbered articles."""
    pdf = _document(title, issued, head)
    for number, (heading, text) in enumerate(articles, start=1):
        pdf.set_font("helvetica", "B", 11)
        pdf.cell(0, 7, f"Artikel {number}. {heading}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("helvetica", "", 10)
        _paragraphs(pdf, text)
    return bytes(pdf.output())
