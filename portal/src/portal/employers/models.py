"""Employer, scheme and coverage tables."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base


class Employer(Base):
    """A company whose pension schemes the insurer runs (werkgever)."""

    __tablename__ = "employer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    chamber_of_commerce_number: Mapped[str] = mapped_column(String(20))
    postal_street: Mapped[str] = mapped_column(String(200))
    postal_postcode: Mapped[str] = mapped_column(String(10))
    postal_city: Mapped[str] = mapped_column(String(100))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str] = mapped_column(String(40))
    advisor_name: Mapped[str] = mapped_column(String(200))
    advisor_firm: Mapped[str] = mapped_column(String(200))
    advisor_email: Mapped[str] = mapped_column(String(200))
    advisor_phone: Mapped[str] = mapped_column(String(40))

    schemes: Mapped[list[Scheme]] = relationship(back_populates="employer", order_by="Scheme.number")


class Scheme(Base):
    """A pension scheme (regeling) of one employer, numbered per employer as the portal shows it."""

    __tablename__ = "scheme"
    __table_args__ = (UniqueConstraint("employer_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    contract_number: Mapped[str] = mapped_column(String(40))

    employer: Mapped[Employer] = relationship(back_populates="schemes")
    coverages: Mapped[list[Coverage]] = relationship(back_populates="scheme", order_by="Coverage.id")


class Coverage(Base):
    """One coverage (dekking) of a scheme, such as old-age or partner's pension."""

    __tablename__ = "coverage"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scheme.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name_nl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))

    scheme: Mapped[Scheme] = relationship(back_populates="coverages")
