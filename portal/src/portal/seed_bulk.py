"""Many generated participants on top of the demo data, for load tests and benchmarks (`portal seed-participants N`).

Deterministic for a given database and count (a fixed random seed), inserted in bulk (a few thousand rows per
statement, no ORM objects), and consistent with the model: each participant's stored salary, part-time and status
are the replay of its own mutation history (R12), exactly as `portal.mutations.state.recompute` would store them.
The contract's demo data stays as it is: the new participants get numbers above the employer's highest one and
last names other than the contract's six.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from portal.dates import add_months, today
from portal.employers.models import Employer, Scheme
from portal.mutations.models import Channel, Mutation, MutationStatus, MutationType
from portal.mutations.state import replay
from portal.participants.models import FamilyMember, Participant, ParticipantStatus, Relation, index_names
from portal.participants.search import search_text, sort_name
from portal.seed import FIRST_NAMES_F, FIRST_NAMES_M, FIXED, GENERATED_LAST_NAMES, LAST_NAMES, random_bsn

DEMO_EMPLOYER = "Voorbeeld Techniek B.V."
CHUNK = 2000
RANDOM_SEED = 7_2026
# More common Dutch surnames than the demo's list, so 100,000 people do not share fifty names.
MORE_LAST_NAMES = (
    ("", "Hermans"), ("", "Kramer"), ("van", "Wijk"), ("", "Kuipers"), ("", "Postma"), ("", "Bosman"),
    ("van der", "Laan"), ("", "Hoek"), ("de", "Ruiter"), ("", "Scholten"), ("", "Evers"), ("", "Verbeek"),
    ("", "Lammers"), ("van", "Doorn"), ("", "Kuiper"), ("", "Hofman"), ("de", "Lange"), ("", "Veenstra"),
    ("", "Wouters"), ("", "Zwart"), ("van der", "Berg"), ("", "Molenaar"), ("", "Timmermans"), ("", "Groen"),
    ("", "Gerritsen"), ("", "Boersma"), ("", "Klein"), ("van", "Wijngaarden"), ("", "Goossens"), ("", "Sanders"),
    ("", "Pauwels"), ("", "Claassen"), ("", "Koning"), ("", "Verschuren"), ("van", "Rijn"), ("", "Snijders"),
    ("", "Aksoy"), ("", "Bouzid"), ("", "Nguyen"), ("", "Wang"), ("", "Pinas"), ("", "Sedney"),
    ("van", "Loon"), ("", "Jonker"), ("", "Huijbregts"), ("", "Oosterhuis"), ("ten", "Have"), ("van", "Es"),
    ("", "Mertens"), ("", "Dijkman"), ("op den", "Kamp"), ("", "Rutten"), ("", "Heijnen"), ("van", "Beers"),
)
_FIXED_LAST_NAMES = {fixed.last_name for fixed in FIXED}
BULK_LAST_NAMES = GENERATED_LAST_NAMES + tuple(name for name in MORE_LAST_NAMES if name[1] not in _FIXED_LAST_NAMES)


@dataclass
class _Change:
    """What `replay` reads of a mutation, without an ORM object."""

    type: MutationType
    effective_date: date
    requested_at: datetime
    payload: dict[str, Any]
    channel: Channel = Channel.portal


@dataclass
class _Person:
    values: dict[str, Any]
    changes: list[_Change] = field(default_factory=list)
    partner: dict[str, Any] | None = None


@dataclass
class _StartValues:
    """What `replay` reads of a participant before its first mutation."""

    fulltime_salary: Decimal = Decimal(0)
    parttime_percentage: Decimal = Decimal(100)


def _taken_bsns(session: Session) -> set[str]:
    taken = set(session.scalars(select(Participant.bsn)))
    taken.update(session.scalars(select(FamilyMember.bsn)))
    return taken


def _person(rng: random.Random, number: str, schemes: list[Scheme], taken: set[str], current: date) -> _Person:
    gender = rng.choice("MV")
    first_name = rng.choice(FIRST_NAMES_M if gender == "M" else FIRST_NAMES_F)
    infix, last_name = rng.choice(BULK_LAST_NAMES)
    initials = f"{first_name[0]}."
    birth = date(rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28))
    earliest = max(add_months(birth, 12 * 19), date(2000, 1, 1))
    days = max((add_months(current, -2) - earliest).days, 1)
    in_service = (earliest + timedelta(days=rng.randint(0, days))).replace(day=1)
    scheme = schemes[0] if len(schemes) == 1 or rng.random() < 0.7 else rng.choice(schemes[1:])
    salary = Decimal(rng.randint(2_800_000, 11_500_000)) / 100
    parttime = Decimal(rng.choice(("100", "100", "100", "100", "100", "90", "80", "80", "72", "60", "50", "88.889")))
    changes = [_Change(MutationType.new_participation, in_service, _at(in_service + timedelta(days=3)),
                       {"fulltime_salary": f"{salary:.2f}", "parttime_percentage": f"{parttime:.3f}"}, Channel.external)]
    if rng.random() < 0.35 and in_service < add_months(current, -14):
        raise_on = add_months(in_service, 12 * rng.randint(1, max(current.year - in_service.year - 1, 1))).replace(day=1)
        if raise_on < current:
            new_salary = (salary * Decimal(rng.choice(("1.02", "1.03", "1.05", "1.08")))).quantize(Decimal("0.01"))
            changes.append(_Change(MutationType.salary_change, raise_on, _at(raise_on - timedelta(days=9)),
                                   {"fulltime_salary": str(new_salary), "parttime_percentage": None}))
    if rng.random() < 0.1 and in_service < add_months(current, -8):
        # A slaper: left service some months ago (R5: no more changes).
        left = add_months(current, -rng.randint(1, 30)).replace(day=1) - timedelta(days=1)
        if left > in_service:
            changes.append(_Change(MutationType.termination, left, _at(left - timedelta(days=15)), {}))
    changes.sort(key=lambda change: (change.effective_date, change.requested_at))
    state = replay(_StartValues(), changes, current)  # type: ignore[arg-type]
    values = {
        "scheme_id": scheme.id, "number": number, "first_name": first_name, "initials": initials, "infix": infix,
        "last_name": last_name, "gender": gender, "birth_date": birth, "bsn": random_bsn(rng, taken),
        "date_in_service": in_service, "fulltime_salary": state.fulltime_salary,
        "parttime_percentage": state.parttime_percentage, "status": state.status,
        "termination_date": state.termination_date,
        "search_text": search_text(first_name, initials, infix, last_name),
        "sort_name": sort_name(infix, last_name, initials),
    }
    person = _Person(values, changes)
    if rng.random() < 0.25:
        partner_infix, partner_last = rng.choice(LAST_NAMES)
        person.partner = {
            "relation": Relation.partner, "first_name": rng.choice(FIRST_NAMES_F if gender == "M" else FIRST_NAMES_M),
            "infix": partner_infix, "last_name": partner_last,
            "birth_date": birth + timedelta(days=rng.randint(-1500, 1500)), "bsn": random_bsn(rng, taken),
        }
    return person


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0))


def _chunks(count: int) -> Iterator[int]:
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        yield size
        done += size


def add_participants(session: Session, count: int, employer_name: str = DEMO_EMPLOYER) -> range:
    """Adds `count` generated participants to the employer; returns their numbers (as a range of ints)."""
    employer = session.scalar(select(Employer).where(Employer.name == employer_name))
    if employer is None:
        raise LookupError(f"No employer {employer_name!r}: seed the demo data first (portal init-db).")
    schemes = list(session.scalars(select(Scheme).where(Scheme.employer_id == employer.id).order_by(Scheme.number)))
    highest = session.scalar(select(func.max(Participant.number)).where(Participant.employer_id == employer.id))
    first = int(highest or "2000000") + 1
    # Seeded by where the run starts, so the same database and count always give the same people.
    rng = random.Random(f"{RANDOM_SEED}-{first}-{count}")
    taken = _taken_bsns(session)
    current = today()
    number = first
    for size in _chunks(count):
        people = [_person(rng, str(number + i), schemes, taken, current) for i in range(size)]
        number += size
        ids = session.scalars(
            insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
            [{"employer_id": employer.id, **person.values} for person in people],
        ).all()
        # Core inserts skip the ORM's after_insert hook, so the name words are added here.
        index_names(session.connection(), [(employer.id, participant_id, person.values["search_text"])
                                            for participant_id, person in zip(ids, people, strict=True)])
        mutations, partners = [], []
        for participant_id, person in zip(ids, people, strict=True):
            for change in person.changes:
                mutations.append({
                    "employer_id": employer.id, "participant_id": participant_id, "type": change.type,
                    "effective_date": change.effective_date, "requested_at": change.requested_at,
                    "status": MutationStatus.processed if change.effective_date <= current else MutationStatus.received,
                    "channel": change.channel, "payload": change.payload,
                })
            if person.partner:
                partners.append({"participant_id": participant_id, **person.partner})
        session.execute(insert(Mutation), mutations)
        if partners:
            session.execute(insert(FamilyMember), partners)
    return range(first, number)


def dormant_share(session: Session, numbers: range) -> float:
    """The share of slapers among the given participant numbers (a sanity figure for the command's output)."""
    total = len(numbers)
    if not total:
        return 0.0
    dormant = session.scalar(
        select(func.count()).where(
            Participant.number >= str(numbers.start), Participant.number < str(numbers.stop),
            Participant.status == ParticipantStatus.dormant,
        )
    )
    return (dormant or 0) / total
