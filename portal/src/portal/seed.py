"""The demo data of contract §2: Voorbeeld Techniek B.V., its schemes, participants, history and accounts.

Deterministic (a fixed random seed), so every `make run` and every test sees the same people.
Demo only: the passwords and TOTP secrets below are published in the README.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.security import hash_password
from portal.dates import add_months, today
from portal.db import get_sessionmaker
from portal.documents.seed import seed_documents
from portal.employers.models import Coverage, Employer, Scheme
from portal.mutations.models import Channel, Mutation, MutationStatus, MutationType
from portal.mutations.state import recompute
from portal.participants.models import FamilyMember, Participant, ParticipantStatus, Relation
from portal.participants.search import search_text, sort_name

DEMO_PASSWORD = "Pensioen-Demo-2026!"  # noqa: S105 - the published demo password (contract §2)
GENERATED_PARTICIPANTS = 250
# The participant that carries the manual's §4.5 example history.
EXAMPLE_45_NUMBER = "2001687"


@dataclass(frozen=True)
class DemoAccount:
    """A demo login (contract §2)."""

    username: str
    full_name: str
    roles: tuple[str, ...]
    totp_secret: str
    employer: str | None


ACCOUNTS = (
    DemoAccount("demo.um", "Ursula Mertens", ("user_management",), "JXL5JBSIOD2JMBUND4MRTXI45WCGP64W", "main"),
    DemoAccount("demo.hr", "Hanna Rietveld", ("hr",), "H6J47PAK24PBBN7RXYAKNXKPPAX4ZOFV", "main"),
    DemoAccount("demo.finance", "Frank Nijhuis", ("finance",), "VFYMR3A6X6LQNGSP3GOI3T3WKKTSUDTJ", "main"),
    DemoAccount("demo.hrfin", "Hester Franssen", ("hr", "finance"), "KGBBC2FAZEWQ4JYJKQNTCTILZJOVYFIP", "main"),
    DemoAccount("desk.agent", "Daan Koster", ("service_desk",), "7JEOR3OHW4H5W7H3VFNAK744ZPYSCC4Z", None),
    # Not in the contract: an HR user of another employer, to show that employers never see each other's data.
    DemoAccount("other.hr", "Olga Hermans", ("hr",), "MZXW6YTBOI2DGMRRGQ3TMNZQHE4DCMBT", "other"),
    # Not in the contract: a second service-desk colleague, to show that one conversation has one colleague at a time.
    DemoAccount("desk.colleague", "Sara Meijer", ("service_desk",), "OTFCKOMVYUAZMNFWWGYWKLT4BBUEIUBB", None),
)


@dataclass(frozen=True)
class FixedParticipant:
    """A participant of contract §2's table."""

    number: str
    first_name: str
    initials: str
    infix: str
    last_name: str
    gender: str
    birth_date: date
    date_in_service: date
    salary: str
    parttime: str
    scheme: int
    # Earlier values, when the current ones came from a later salary change.
    start_salary: str | None = None
    start_parttime: str | None = None
    changed_on: date | None = None
    terminated_on: date | None = None


FIXED = (
    FixedParticipant("2001681", "Gerrit", "G.", "ter", "Assob", "M", date(1984, 5, 12), date(2019, 8, 1), "52242.28", "100", 1,
                     start_salary="49800.00", changed_on=date(2023, 1, 1)),
    FixedParticipant("2001682", "Piet", "P.", "", "Jansen", "M", date(1979, 11, 3), date(2015, 3, 1), "61000.00", "80", 1,
                     start_salary="54500.00", start_parttime="100", changed_on=date(2022, 4, 1)),
    FixedParticipant("2001683", "Anna", "A.", "", "Jansen", "V", date(1994, 2, 21), date(2021, 9, 15), "44500.00", "100", 1),
    FixedParticipant("2001684", "Marieke", "M.", "de", "Vries", "V", date(1971, 7, 30), date(2012, 1, 1), "48000.00", "100", 1,
                     terminated_on=date(2024, 6, 30)),
    FixedParticipant("2001685", "Sanne", "S.", "", "Bakker", "V", date(1988, 9, 9), date(2020, 6, 1), "57750.00", "90", 2),
    FixedParticipant("2001686", "Emma", "E.", "", "Visser", "V", date(1982, 3, 17), date(2018, 2, 1), "66300.00", "100", 2,
                     start_salary="59900.00", changed_on=date(2021, 2, 1)),
)

FIRST_NAMES_M = (
    "Jan", "Kees", "Bram", "Daan", "Sem", "Lucas", "Thijs", "Ruben", "Joost", "Wouter", "Maarten", "Sander",
    "Jeroen", "Bas", "Niels", "Tim", "Rik", "Stijn", "Koen", "Hendrik", "Willem", "Gijs", "Jasper", "Frank",
    "Mohamed", "Youssef", "Dirk", "Arjen", "Erik", "Teun", "Luuk", "Floris", "Mehmet", "Pieter", "Hugo", "Mats",
)
FIRST_NAMES_F = (
    "Sophie", "Julia", "Emma", "Lotte", "Fleur", "Eva", "Anouk", "Sanne", "Lisa", "Iris", "Femke", "Marloes",
    "Esther", "Ingrid", "Petra", "Karin", "Noor", "Tessa", "Roos", "Ilse", "Marieke", "Hanneke", "Mirjam", "Fatima",
    "Yara", "Lieke", "Anneke", "Nina", "Sara", "Chantal", "Renée", "Zoë", "Mila", "Saskia", "Joke", "Annemiek",
)
LAST_NAMES = (
    ("", "Jong"), ("de", "Jong"), ("", "Jansen"), ("de", "Vries"), ("van den", "Berg"), ("van", "Dijk"),
    ("", "Bakker"), ("", "Visser"), ("", "Smit"), ("", "Meijer"), ("de", "Boer"), ("", "Mulder"),
    ("de", "Groot"), ("", "Bos"), ("", "Vos"), ("", "Peters"), ("", "Hendriks"), ("van", "Leeuwen"),
    ("", "Dekker"), ("", "Brouwer"), ("de", "Wit"), ("", "Dijkstra"), ("", "Smits"), ("de", "Graaf"),
    ("van der", "Meer"), ("van der", "Linden"), ("", "Kok"), ("", "Jacobs"), ("de", "Haan"), ("", "Vermeulen"),
    ("van den", "Heuvel"), ("van der", "Veen"), ("van den", "Broek"), ("de", "Bruijn"), ("de", "Bruin"),
    ("van der", "Heijden"), ("", "Schouten"), ("van", "Beek"), ("", "Willems"), ("van", "Vliet"),
    ("van de", "Ven"), ("", "Hoekstra"), ("", "Maas"), ("", "Verhoeven"), ("", "Koster"), ("van", "Dam"),
    ("van der", "Wal"), ("", "Prins"), ("", "Blom"), ("", "Huisman"), ("ter", "Horst"), ("ten", "Brink"),
    ("van 't", "Hof"), ("", "Özdemir"), ("", "Yılmaz"), ("", "El Amrani"), ("", "Çelik"), ("", "Brinkmann"),
)


# The contract's six are the only ones with their last names, so "Jansen" means exactly the two Jansens.
GENERATED_LAST_NAMES = tuple(name for name in LAST_NAMES if name[1] not in {fixed.last_name for fixed in FIXED})


def random_bsn(rng: random.Random, taken: set[str]) -> str:
    """A fresh nine-digit number that passes the elfproef."""
    while True:
        digits = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check == 10:
            continue
        bsn = "".join(map(str, digits)) + str(check)
        if bsn not in taken:
            taken.add(bsn)
            return bsn


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0))


def _mutation(
    participant: Participant,
    kind: MutationType,
    effective: date,
    requested: date,
    channel: Channel,
    payload: dict | None = None,
    requested_by: User | None = None,
) -> Mutation:
    return Mutation(
        employer_id=participant.employer_id,
        participant=participant,
        type=kind,
        effective_date=effective,
        requested_at=_at(requested),
        status=MutationStatus.received,
        requested_by=requested_by,
        channel=channel,
        payload=payload or {},
    )


def _new_participation(participant: Participant, salary: str, parttime: str) -> Mutation:
    payload = {"fulltime_salary": f"{Decimal(salary):.2f}", "parttime_percentage": f"{Decimal(parttime):.3f}"}
    requested = participant.date_in_service + timedelta(days=3)
    return _mutation(participant, MutationType.new_participation, participant.date_in_service, requested, Channel.external, payload)


def _participant(
    employer: Employer,
    scheme: Scheme,
    number: str,
    first_name: str,
    infix: str,
    last_name: str,
    gender: str,
    birth_date: date,
    date_in_service: date,
    bsn: str,
) -> Participant:
    initials = f"{first_name[0]}."
    return Participant(
        employer_id=employer.id,
        scheme=scheme,
        number=number,
        first_name=first_name,
        initials=initials,
        infix=infix,
        last_name=last_name,
        gender=gender,
        birth_date=birth_date,
        bsn=bsn,
        date_in_service=date_in_service,
        fulltime_salary=Decimal(0),
        parttime_percentage=Decimal(100),
        status=ParticipantStatus.active,
        termination_date=None,
        search_text=search_text(first_name, initials, infix, last_name),
        sort_name=sort_name(infix, last_name, initials),
    )


def _employer(session: Session, name: str, kvk: str, city: str, contact: str, advisor: str) -> Employer:
    slug = name.split()[0].lower()
    employer = Employer(
        name=name,
        chamber_of_commerce_number=kvk,
        postal_street="Postbus 1180",
        postal_postcode="3500 BD",
        postal_city=city,
        contact_name=contact,
        contact_email=f"hr@{slug}.example",
        contact_phone="030 123 45 67",
        advisor_name=advisor,
        advisor_firm="Hendriks Pensioenadvies B.V.",
        advisor_email="advies@hendriks-pensioen.example",
        advisor_phone="020 765 43 21",
    )
    session.add(employer)
    session.flush()
    return employer


COVERAGES = (
    ("OP", "Ouderdomspensioen", "Old-age pension"),
    ("PP", "Partnerpensioen", "Partner's pension"),
    ("WZP", "Wezenpensioen", "Orphan's pension"),
    ("PVI", "Premievrijstelling bij arbeidsongeschiktheid", "Premium waiver on disability"),
)


def _scheme(session: Session, employer: Employer, number: int, name: str, kind: str, extra: tuple = ()) -> Scheme:
    scheme = Scheme(
        employer_id=employer.id,
        number=number,
        name=name,
        kind=kind,
        description=f"{kind} bij {employer.name}; pensioenrichtleeftijd 68 jaar.",
        contract_number=f"PR-{employer.id:03d}-{number:02d}",
    )
    for code, name_nl, name_en in COVERAGES + extra:
        scheme.coverages.append(Coverage(code=code, name_nl=name_nl, name_en=name_en))
    session.add(scheme)
    session.flush()
    return scheme


def _seed_fixed(session: Session, employer: Employer, schemes: dict[int, Scheme], taken: set[str], rng: random.Random) -> None:
    for fixed in FIXED:
        participant = _participant(
            employer, schemes[fixed.scheme], fixed.number, fixed.first_name, fixed.infix, fixed.last_name,
            fixed.gender, fixed.birth_date, fixed.date_in_service, random_bsn(rng, taken),
        )
        session.add(participant)
        session.add(_new_participation(participant, fixed.start_salary or fixed.salary, fixed.start_parttime or fixed.parttime))
        if fixed.changed_on:
            payload = {"fulltime_salary": f"{Decimal(fixed.salary):.2f}", "parttime_percentage": f"{Decimal(fixed.parttime):.3f}"}
            session.add(_mutation(participant, MutationType.salary_change, fixed.changed_on, fixed.changed_on - timedelta(days=12), Channel.portal, payload))
        if fixed.terminated_on:
            session.add(_mutation(participant, MutationType.termination, fixed.terminated_on, fixed.terminated_on - timedelta(days=20), Channel.portal))


def _seed_example_45(session: Session, participant: Participant) -> None:
    """The manual's §4.5 example: a retroactive salary change requested after a later intermediary change."""
    session.add(_new_participation(participant, "45000", "100"))
    session.add(_mutation(participant, MutationType.intermediary_change, date(2023, 8, 1), date(2023, 8, 2), Channel.external,
                          {"intermediary": "Hendriks Pensioenadvies B.V."}))
    session.add(_mutation(participant, MutationType.salary_change, date(2023, 6, 1), date(2023, 10, 10), Channel.portal,
                          {"fulltime_salary": "47500.00", "parttime_percentage": None}))


def _seed_generated(
    session: Session, employer: Employer, schemes: dict[int, Scheme], first_number: int, count: int,
    taken: set[str], rng: random.Random,
) -> list[Participant]:
    current = today()
    people: list[Participant] = []
    for index in range(count):
        number = str(first_number + index)
        gender = rng.choice("MV")
        first_name = rng.choice(FIRST_NAMES_M if gender == "M" else FIRST_NAMES_F)
        infix, last_name = rng.choice(GENERATED_LAST_NAMES)
        birth = date(rng.randint(1962, 2002), rng.randint(1, 12), rng.randint(1, 28))
        if number == EXAMPLE_45_NUMBER:
            first_name, infix, last_name, gender, birth = "Johan", "", "Smit", "M", date(1990, 4, 4)
        earliest = max(add_months(birth, 12 * 19), date(2005, 1, 1))
        days = max((add_months(current, -2) - earliest).days, 1)
        in_service = (earliest + timedelta(days=rng.randint(0, days))).replace(day=1)
        if number == EXAMPLE_45_NUMBER:
            in_service = date(2023, 1, 1)
        scheme = schemes[1] if len(schemes) == 1 or rng.random() < 0.65 or number == EXAMPLE_45_NUMBER else schemes[2]
        participant = _participant(employer, scheme, number, first_name, infix, last_name, gender, birth, in_service, random_bsn(rng, taken))
        session.add(participant)
        people.append(participant)
        if number == EXAMPLE_45_NUMBER:
            _seed_example_45(session, participant)
            continue
        salary = Decimal(rng.randint(3_200_000, 9_800_000)) / 100
        parttime = rng.choice(("100", "100", "100", "100", "90", "80", "80", "60", "50", "88.889"))
        session.add(_new_participation(participant, str(salary), parttime))
        if rng.random() < 0.35 and in_service < add_months(current, -14):
            raise_on = add_months(in_service, 12 * rng.randint(1, max((current.year - in_service.year) - 1, 1))).replace(day=1)
            if raise_on < current:
                new_salary = (salary * Decimal(rng.choice(("1.02", "1.03", "1.05", "1.08")))).quantize(Decimal("0.01"))
                session.add(_mutation(participant, MutationType.salary_change, raise_on, raise_on - timedelta(days=9), Channel.portal,
                                      {"fulltime_salary": str(new_salary), "parttime_percentage": None}))
        if rng.random() < 0.08 and in_service < add_months(current, -8):
            left = add_months(current, -rng.randint(1, 6)).replace(day=1) - timedelta(days=1)
            session.add(_mutation(participant, MutationType.termination, left, left - timedelta(days=15), Channel.portal))
    return people


def _seed_partners(session: Session, people: list[Participant], taken: set[str], rng: random.Random) -> None:
    for participant in people:
        if rng.random() < 0.3:
            infix, last_name = rng.choice(LAST_NAMES)
            first_name = rng.choice(FIRST_NAMES_F if participant.gender == "M" else FIRST_NAMES_M)
            birth = participant.birth_date + timedelta(days=rng.randint(-1500, 1500))
            session.add(FamilyMember(participant=participant, relation=Relation.partner, first_name=first_name, infix=infix,
                                     last_name=last_name, birth_date=birth, bsn=random_bsn(rng, taken)))


def _seed_accounts(session: Session, employers: dict[str, Employer]) -> None:
    password_hash = hash_password(DEMO_PASSWORD)
    for account in ACCOUNTS:
        employer = employers[account.employer] if account.employer else None
        session.add(
            User(
                username=account.username,
                full_name=account.full_name,
                email=f"{account.username}@{'insurer' if employer is None else employer.name.split()[0].lower()}.example",
                employer_id=employer.id if employer else None,
                roles=list(account.roles),
                password_hash=password_hash,
                totp_secret=account.totp_secret,
                language="nl",
            )
        )


def seed_session(session: Session) -> None:
    """Adds the whole demo data set to an empty, migrated database."""
    rng = random.Random(20261127)
    taken: set[str] = set()
    main = _employer(session, "Voorbeeld Techniek B.V.", "59395435", "Utrecht", "Linda de Boer", "Mark Hendriks")
    schemes = {
        1: _scheme(session, main, 1, "Pensioenregeling Voorbeeld Techniek", "Beschikbare premieregeling"),
        2: _scheme(session, main, 2, "Pensioenregeling Voorbeeld Techniek Management", "Beschikbare premieregeling management",
                   (("ANW", "ANW-hiaatpensioen", "ANW gap pension"),)),
    }
    _seed_fixed(session, main, schemes, taken, rng)
    people = _seed_generated(session, main, schemes, 2001687, GENERATED_PARTICIPANTS, taken, rng)
    _seed_partners(session, people, taken, rng)

    other = _employer(session, "Andere Werkgever B.V.", "71234567", "Zwolle", "Pim de Lange", "Mark Hendriks")
    other_schemes = {1: _scheme(session, other, 1, "Pensioenregeling Andere Werkgever", "Beschikbare premieregeling")}
    _seed_generated(session, other, other_schemes, 3000001, 8, taken, rng)

    _seed_accounts(session, {"main": main, "other": other})
    session.flush()
    for participant in session.query(Participant).all():
        recompute(session, participant)
    seed_documents(session)


def seed() -> None:
    """Seeds the configured database in one transaction."""
    with get_sessionmaker()() as session:
        seed_session(session)
        session.commit()
