"""Demo documents for every employer's schemes: invoices, a booking overview, a reminder, regulations, agreement, addenda."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.dates import add_months, today
from portal.documents import pdf
from portal.documents.models import Document, DocumentCategory, DocumentKind
from portal.employers.models import Employer, Scheme
from portal.participants.models import Participant, ParticipantStatus

# Monthly premium as a share of the pensionable salary, per coverage (demo figures).
PREMIUM_RATES = {"OP": Decimal("0.12"), "PP": Decimal("0.025"), "WZP": Decimal("0.005"), "PVI": Decimal("0.008"),
                 "ANW": Decimal("0.004")}
FINANCIAL = frozenset({DocumentKind.invoice, DocumentKind.booking_overview, DocumentKind.reminder})
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def _head(employer: Employer, scheme: Scheme) -> pdf.Letterhead:
    return pdf.Letterhead(employer.name, employer.postal_street, employer.postal_postcode, employer.postal_city,
                          scheme.name, scheme.contract_number)


def _monthly_premiums(session: Session, scheme: Scheme) -> list[tuple[str, Decimal]]:
    """The scheme's monthly premium per coverage, from its active participants' part-time salaries."""
    people = session.scalars(
        select(Participant).where(Participant.scheme_id == scheme.id, Participant.status == ParticipantStatus.active)
    ).all()
    salaries = sum((p.fulltime_salary * p.parttime_percentage / 100 for p in people), Decimal(0))
    return [
        (f"Premie {coverage.name_nl.lower()}", (salaries * PREMIUM_RATES.get(coverage.code, Decimal("0.01")) / 12).quantize(Decimal("0.01")))
        for coverage in scheme.coverages
    ]


def _document(employer: Employer, scheme: Scheme, kind: DocumentKind, titles: tuple[str, str], issued: date,
              content: bytes) -> Document:
    category = DocumentCategory.financial if kind in FINANCIAL else DocumentCategory.legal
    slug = titles[0].lower().replace(" ", "-")
    return Document(
        employer_id=employer.id,
        scheme_id=scheme.id,
        category=category,
        kind=kind,
        title_nl=titles[0],
        title_en=titles[1],
        document_date=issued,
        filename=f"{slug}-regeling-{scheme.number}.pdf",
        size=len(content),
        content=content,
    )


def _financial(session: Session, employer: Employer, scheme: Scheme) -> list[Document]:
    head, premiums = _head(employer, scheme), _monthly_premiums(session, scheme)
    total = sum((amount for _, amount in premiums), Decimal(0))
    this_month = today().replace(day=1)
    documents = []
    for back in (2, 1):
        month = add_months(this_month, -back)
        number = f"{employer.id:03d}{scheme.number:02d}{month:%Y%m}"
        period = f"{MONTHS_NL[month.month - 1]} {month.year}"
        titles = (f"Factuur {period}", f"Invoice {MONTHS_EN[month.month - 1]} {month.year}")
        documents.append(_document(employer, scheme, DocumentKind.invoice, titles, month,
                                   pdf.invoice(head, month, number, period, premiums)))
    year = this_month.year - 1
    bookings = [(f"Factuur {MONTHS_NL[m - 1]} {year}", total) for m in range(1, 13)]
    bookings += [(f"Betaling {MONTHS_NL[m - 1]} {year}", -total) for m in range(1, 12)]
    issued = date(this_month.year, 1, 15)
    documents.append(_document(employer, scheme, DocumentKind.booking_overview,
                               (f"Boekingsoverzicht {year}", f"Booking overview {year}"), issued,
                               pdf.booking_overview(head, issued, year, bookings)))
    if scheme.number == 1:
        overdue = add_months(this_month, -2)
        issued = add_months(this_month, -1).replace(day=15)
        number = f"{employer.id:03d}{scheme.number:02d}{overdue:%Y%m}"
        documents.append(_document(employer, scheme, DocumentKind.reminder,
                                   (f"Aanmaning factuur {number}", f"Reminder invoice {number}"), issued,
                                   pdf.reminder(head, issued, number, total)))
    return documents


REGULATIONS = [
    ("Begripsbepalingen", "In dit reglement wordt verstaan onder deelnemer: de werknemer die deelneemt aan de "
     "pensioenregeling van de werkgever."),
    ("Deelname", "Deelnemer is iedere werknemer vanaf de datum van indiensttreding. De deelname eindigt bij "
     "uitdiensttreding, overlijden of het bereiken van de pensioendatum."),
    ("Pensioengevend salaris", "Het pensioengevend salaris is het vaste jaarsalaris, vermenigvuldigd met het "
     "parttimepercentage, verminderd met de franchise."),
    ("Pensioenrichtleeftijd", "De pensioenrichtleeftijd is 68 jaar."),
    ("Wijzigingen", "Wijzigingen in salaris, parttimepercentage of dienstverband geeft de werkgever door via het "
     "werkgeversportaal, uiterlijk drie maanden vooruit."),
]
AGREEMENT = [
    ("Partijen", "Deze uitvoeringsovereenkomst is gesloten tussen de werkgever en de pensioenverzekeraar."),
    ("Premiebetaling", "De werkgever betaalt de premie maandelijks binnen 30 dagen na de factuurdatum."),
    ("Informatieverplichting", "De werkgever levert de gegevens van de deelnemers tijdig en volledig aan."),
    ("Looptijd", "De overeenkomst geldt voor vijf jaar en wordt daarna stilzwijgend met een jaar verlengd."),
]


def _legal(employer: Employer, scheme: Scheme) -> list[Document]:
    head = _head(employer, scheme)
    start = date(2024, 1, 1)
    documents = [
        _document(employer, scheme, DocumentKind.regulations, ("Pensioenreglement", "Pension regulations"), start,
                  pdf.legal_text(head, start, "Pensioenreglement", REGULATIONS)),
        _document(employer, scheme, DocumentKind.agreement, ("Uitvoeringsovereenkomst", "Execution agreement"), start,
                  pdf.legal_text(head, start, "Uitvoeringsovereenkomst", AGREEMENT)),
    ]
    issued = date(2025, 1, 1)
    articles = [("Wijziging", "Met ingang van 1 januari 2025 wordt de franchise jaarlijks geïndexeerd."),
                ("Inwerkingtreding", "Dit addendum maakt deel uit van het pensioenreglement.")]
    documents.append(_document(employer, scheme, DocumentKind.addendum, ("Addendum 2025", "Addendum 2025"), issued,
                               pdf.legal_text(head, issued, "Addendum 2025 bij het pensioenreglement", articles)))
    return documents


def seed_documents(session: Session) -> None:
    """Adds the demo documents of every employer's schemes; unread for everyone until someone opens one."""
    for employer in session.scalars(select(Employer).order_by(Employer.id)).all():
        for scheme in employer.schemes:
            session.add_all(_financial(session, employer, scheme))
            session.add_all(_legal(employer, scheme))
    session.flush()
