"""Tests of the parsers and formatters behind the assistant's form validation: dates, salaries, part-time, BSNs."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from actions.parsing import (
    ParttimeParse,
    find_bsn,
    format_amount,
    format_date,
    format_percentage,
    is_valid_bsn,
    mask_bsn,
    mask_bsns_in,
    parse_amount,
    parse_date,
    parse_parttime,
)

# The configured dateparser itself, to pin down what it gets wrong without our own handling.
from actions.parsing.dates import _with_dateparser as dateparser_alone

TODAY = date(2026, 11, 27)  # a Friday
A_MONDAY = date(2026, 11, 23)
END_OF_JANUARY = date(2027, 1, 31)  # next month is shorter
END_OF_JANUARY_LEAP = date(2028, 1, 31)
LANGUAGES = ["nl", "en"]

# Messages that are not dates, amounts or part-time percentages in either language.
GARBAGE = ["", "   ", "ok", "ja", "yes", "nee", "asdfgh", "?!", "😀", "null", "\n\t"]


# --- dates ------------------------------------------------------------------------------------------------------------

DUTCH_DATES = [
    ("1 maart", date(2027, 3, 1)),
    ("1 mrt", date(2027, 3, 1)),
    ("1 mrt.", date(2027, 3, 1)),
    ("1e maart", date(2027, 3, 1)),
    ("01-03-2027", date(2027, 3, 1)),
    ("1-3-2027", date(2027, 3, 1)),
    ("1/3/2027", date(2027, 3, 1)),
    ("1.3.2027", date(2027, 3, 1)),
    ("1-3-27", date(2027, 3, 1)),
    ("1-3", date(2027, 3, 1)),
    ("2027-03-01", date(2027, 3, 1)),
    ("1 maart 2026", date(2026, 3, 1)),
    ("per 1 februari", date(2027, 2, 1)),
    ("met ingang van 1 april", date(2027, 4, 1)),
    ("m.i.v. 1 april", date(2027, 4, 1)),
    ("vanaf 1 mei", date(2027, 5, 1)),
    ("1 november", date(2026, 11, 1)),
    ("1 december", date(2026, 12, 1)),
    ("29 februari", date(2028, 2, 29)),
    ("volgende maand", date(2026, 12, 1)),
    ("per volgende maand", date(2026, 12, 1)),
    ("eind van de maand", date(2026, 11, 30)),
    ("einde maand", date(2026, 11, 30)),
    ("eind deze maand", date(2026, 11, 30)),
    ("eind volgende maand", date(2026, 12, 31)),
    ("per eind volgende maand", date(2026, 12, 31)),
    ("begin volgende maand", date(2026, 12, 1)),
    ("eind maart", date(2027, 3, 31)),
    ("vandaag", date(2026, 11, 27)),
    ("morgen", date(2026, 11, 28)),
    ("volgende week vrijdag", date(2026, 12, 4)),
    ("vrijdag volgende week", date(2026, 12, 4)),
    ("vrijdag", date(2026, 12, 4)),
    ("aanstaande vrijdag", date(2026, 12, 4)),
    ("over twee weken", date(2026, 12, 11)),
    ("over 2 weken", date(2026, 12, 11)),
    ("Jansen gaat per eind volgende maand uit dienst", date(2026, 12, 31)),
    ("Salaris wordt 58k per 1 maart", date(2027, 3, 1)),
    ("Hij gaat per 1-3-2027 80% werken", date(2027, 3, 1)),
]

ENGLISH_DATES = [
    ("March 1st", date(2027, 3, 1)),
    ("1 March", date(2027, 3, 1)),
    ("March 1", date(2027, 3, 1)),
    ("the 1st of March", date(2027, 3, 1)),
    ("March 1st, 2027", date(2027, 3, 1)),
    ("3/1/2027", date(2027, 3, 1)),
    ("3/1", date(2027, 3, 1)),
    ("2027-03-01", date(2027, 3, 1)),
    ("as of 1 November", date(2026, 11, 1)),
    ("next month", date(2026, 12, 1)),
    ("end of the month", date(2026, 11, 30)),
    ("end of this month", date(2026, 11, 30)),
    ("end of next month", date(2026, 12, 31)),
    ("start of next month", date(2026, 12, 1)),
    ("beginning of next month", date(2026, 12, 1)),
    ("end of March", date(2027, 3, 31)),
    ("today", date(2026, 11, 27)),
    ("tomorrow", date(2026, 11, 28)),
    ("next Friday", date(2026, 12, 4)),
    ("Friday", date(2026, 12, 4)),
    ("friday next week", date(2026, 12, 4)),
    ("in two weeks", date(2026, 12, 11)),
    ("in a week", date(2026, 12, 4)),
    ("he leaves on March 1st", date(2027, 3, 1)),
    ("new salary €61,000 from March 1st", date(2027, 3, 1)),
]

# (text, language, today, expected): month ends, another weekday, a year boundary.
DATES_ON_OTHER_DAYS = [
    ("eind volgende maand", "nl", END_OF_JANUARY, date(2027, 2, 28)),
    ("end of next month", "en", END_OF_JANUARY, date(2027, 2, 28)),
    ("eind volgende maand", "nl", END_OF_JANUARY_LEAP, date(2028, 2, 29)),
    ("eind van de maand", "nl", END_OF_JANUARY, date(2027, 1, 31)),
    ("volgende maand", "nl", END_OF_JANUARY, date(2027, 2, 1)),
    ("per 1 februari", "nl", END_OF_JANUARY, date(2027, 2, 1)),
    ("1 november", "nl", END_OF_JANUARY, date(2026, 11, 1)),
    ("in a month", "en", END_OF_JANUARY, date(2027, 2, 28)),
    ("over twee weken", "nl", END_OF_JANUARY, date(2027, 2, 14)),
    ("volgende maand", "nl", date(2027, 12, 31), date(2028, 1, 1)),
    ("eind volgende maand", "nl", date(2027, 12, 15), date(2028, 1, 31)),
    ("vrijdag", "nl", A_MONDAY, date(2026, 11, 27)),
    ("volgende week vrijdag", "nl", A_MONDAY, date(2026, 12, 4)),
    ("next Friday", "en", A_MONDAY, date(2026, 11, 27)),
    ("friday next week", "en", A_MONDAY, date(2026, 12, 4)),
    ("morgen", "nl", END_OF_JANUARY, date(2027, 2, 1)),
]

NOT_DATES = [
    *GARBAGE,
    "2001681",
    "123456782",
    "1234.56.782",
    "80%",
    "80 procent",
    "0,8",
    "58k",
    "€ 52.242,28",
    "52.242,28",
    "€61,000",
    "32 uur",
    "32 hours a week",
    "4 dagen per week",
    "four days a week",
    "2027",
    "31-02-2027",
    "13/13/2027",
    "32 maart",
    "per maand",
    "deze maand",
]

# (text, language, what the configured dateparser reads in the whole text, what we read): why we have our own rules.
DATEPARSER_GETS_WRONG = [
    ("volgende maand", "nl", date(2026, 12, 27), date(2026, 12, 1)),
    ("next month", "en", date(2026, 12, 27), date(2026, 12, 1)),
    ("eind van de maand", "nl", None, date(2026, 11, 30)),
    ("einde maand", "nl", None, date(2026, 11, 30)),
    ("eind volgende maand", "nl", None, date(2026, 12, 31)),
    ("begin volgende maand", "nl", None, date(2026, 12, 1)),
    ("end of the month", "en", None, date(2026, 11, 30)),
    ("end of next month", "en", None, date(2026, 12, 31)),
    ("start of next month", "en", None, date(2026, 12, 1)),
    ("eind maart", "nl", None, date(2027, 3, 31)),
    ("end of March", "en", None, date(2027, 3, 31)),
    ("per 1 februari", "nl", None, date(2027, 2, 1)),
    ("he leaves on March 1st", "en", None, date(2027, 3, 1)),
    ("2027-03-01", "nl", date(2027, 1, 3), date(2027, 3, 1)),
    ("1 november", "nl", date(2027, 11, 1), date(2026, 11, 1)),
    ("1e maart", "nl", None, date(2027, 3, 1)),
    ("volgende week vrijdag", "nl", None, date(2026, 12, 4)),
    ("aanstaande vrijdag", "nl", None, date(2026, 12, 4)),
    ("next Friday", "en", None, date(2026, 12, 4)),
    ("over twee weken", "nl", None, date(2026, 12, 11)),
    # Eager: it reads numbers with a unit as dates, which our extraction never hands it.
    ("80%", "nl", date(2080, 11, 27), None),
    ("32 uur", "nl", date(2026, 11, 28), None),
    ("four days a week", "en", date(2026, 12, 8), None),
    ("32 maart", "nl", date(2032, 3, 27), None),
    ("1-13", "nl", date(2113, 11, 1), None),
]


@pytest.mark.parametrize(("text", "expected"), DUTCH_DATES)
def test_parse_date_reads_dutch(text: str, expected: date) -> None:
    assert parse_date(text, "nl", TODAY) == expected


@pytest.mark.parametrize(("text", "expected"), ENGLISH_DATES)
def test_parse_date_reads_english(text: str, expected: date) -> None:
    assert parse_date(text, "en", TODAY) == expected


@pytest.mark.parametrize(("text", "language", "today", "expected"), DATES_ON_OTHER_DAYS)
def test_parse_date_is_relative_to_today(text: str, language: str, today: date, expected: date) -> None:
    assert parse_date(text, language, today) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("1/3/2027", "nl", date(2027, 3, 1)),
        ("1/3/2027", "en", date(2027, 1, 3)),
        ("3/1", "en", date(2027, 3, 1)),
        ("3/1", "nl", date(2027, 1, 3)),
        ("2027-03-01", "en", date(2027, 3, 1)),
        # Where the other order is the only possible one, dateparser takes it.
        ("13/1/2027", "en", date(2027, 1, 13)),
        ("13/1", "en", date(2027, 1, 13)),
        ("1/13", "nl", None),
        ("1/13/2027", "nl", None),
    ],
)
def test_parse_date_puts_day_first_in_dutch_and_month_first_in_english(
    text: str, language: str, expected: date | None
) -> None:
    assert parse_date(text, language, TODAY) == expected


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", NOT_DATES)
def test_parse_date_finds_no_date_in_other_values(text: str, language: str) -> None:
    assert parse_date(text, language, TODAY) is None


@pytest.mark.parametrize(("text", "language", "theirs", "ours"), DATEPARSER_GETS_WRONG)
def test_own_rules_cover_what_dateparser_gets_wrong(
    text: str, language: str, theirs: date | None, ours: date | None
) -> None:
    # When dateparser learns one of these, the first assertion fails and our rule for it can go.
    assert dateparser_alone(text, language, TODAY) == theirs
    assert parse_date(text, language, TODAY) == ours


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (date(2027, 3, 1), "nl", "1 maart 2027"),
        (date(2027, 3, 1), "en", "1 March 2027"),
        (date(2026, 12, 31), "nl", "31 december 2026"),
        (date(2026, 12, 31), "en", "31 December 2026"),
    ],
)
def test_format_date_writes_the_month_and_the_year(value: date, language: str, expected: str) -> None:
    assert format_date(value, language) == expected


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("value", [date(2027, 3, 1), date(2026, 11, 1), date(2028, 2, 29), date(2030, 9, 15)])
def test_a_formatted_date_parses_back(value: date, language: str) -> None:
    assert parse_date(format_date(value, language), language, TODAY) == value


# --- amounts ----------------------------------------------------------------------------------------------------------

AMOUNTS = [
    ("€ 52.242,28", Decimal("52242.28")),
    ("52.242,28", Decimal("52242.28")),
    ("52242.28", Decimal("52242.28")),
    ("52242,28", Decimal("52242.28")),
    ("€52,242.28", Decimal("52242.28")),
    ("52.242", Decimal("52242.00")),
    ("52,242", Decimal("52242.00")),
    ("58k", Decimal("58000.00")),
    ("58K", Decimal("58000.00")),
    ("58,5k", Decimal("58500.00")),
    ("58.5k", Decimal("58500.00")),
    ("58.000 euro", Decimal("58000.00")),
    ("58000 EUR", Decimal("58000.00")),
    ("58 duizend", Decimal("58000.00")),
    ("58 thousand euros", Decimal("58000.00")),
    ("EUR 61.000", Decimal("61000.00")),
    ("€ 61.000,-", Decimal("61000.00")),
    ("€ 2001681", Decimal("2001681.00")),
    ("salaris wordt 58k per 1 maart", Decimal("58000.00")),
    ("new salary €61,000", Decimal("61000.00")),
    ("het salaris is 52.242,28 per 1-3-2027", Decimal("52242.28")),
    ("deelnemer 2001681 krijgt € 58.000", Decimal("58000.00")),
    ("BSN 123456782, salaris 58000", Decimal("58000.00")),
    ("van €58.000 naar 58k", Decimal("58000.00")),
]

NOT_AMOUNTS = [
    *GARBAGE,
    "1-3-2027",
    "01-03-2027",
    "2027-03-01",
    "1 maart 2027",
    "80%",
    "80 procent",
    "100 percent",
    "0,8",
    "32 uur",
    "2001681",
    "123456782",
    "123.456.782",
    "1234.56.782",
    "€ 123456782",
    "52.242.28",
    "52,2425",
    "1.234",
    "€ 0",
    "58 km",
    "van 52.000 naar 58.000",
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("text", "expected"), AMOUNTS)
def test_parse_amount_reads_salaries(text: str, expected: Decimal, language: str) -> None:
    found = parse_amount(text, language)
    assert found == expected
    assert found is not None and found.as_tuple().exponent == -2


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_parse_amount_finds_no_amount_in_other_values(text: str, language: str) -> None:
    assert parse_amount(text, language) is None


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        # Babel keeps € and the amount together with a no-break space.
        (Decimal("52242.28"), "nl", "€\u00a052.242,28"),
        (Decimal("52242.28"), "en", "€52,242.28"),
        (Decimal("58000"), "nl", "€\u00a058.000,00"),
        (Decimal("58000"), "en", "€58,000.00"),
    ],
)
def test_format_amount_writes_euros_the_languages_way(value: Decimal, language: str, expected: str) -> None:
    assert format_amount(value, language) == expected


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("value", [Decimal("52242.28"), Decimal("58000.00"), Decimal("1234567.89"), Decimal("99.50")])
def test_a_formatted_amount_parses_back(value: Decimal, language: str) -> None:
    assert parse_amount(format_amount(value, language), language) == value


# --- part-time percentages --------------------------------------------------------------------------------------------

PARTTIMES = [
    ("80%", "80", True),
    ("80 %", "80", True),
    ("80 procent", "80", True),
    ("80 percent", "80", True),
    ("100%", "100", True),
    ("88,889%", "88.889", True),
    ("88.889%", "88.889", True),
    ("88,8889%", "88.889", True),
    ("0,8", "80", True),
    ("0.8", "80", True),
    ("0,8 fte", "80", True),
    ("1 fte", "100", True),
    ("32 van de 40 uur", "80", True),
    ("32 out of 40 hours", "80", True),
    ("30 van de 36 uur", "83.333", True),
    ("4 van de 5 dagen", "80", True),
    ("32 uur", "80", False),
    ("32 hours a week", "80", False),
    ("36 uur per week", "90", False),
    ("37,5 uur", "93.75", False),
    ("4 dagen per week", "80", False),
    ("four days a week", "80", False),
    ("vier dagen", "80", False),
    ("fulltime", "100", True),
    ("voltijd", "100", True),
    ("full-time", "100", True),
    ("full time", "100", True),
    ("halftime", "50", True),
    ("half time", "50", True),
    ("parttime 50", "50", True),
    ("80", "80", False),
    ("gaat 80% werken per 1 april", "80", True),
    ("from March she works four days a week", "80", False),
    ("per 1-3-2027 fulltime", "100", True),
]

NOT_PARTTIMES = [
    *GARBAGE,
    "120%",
    "0%",
    "0",
    "1,2 fte",
    "45 uur",
    "8 uur per dag",
    "6 dagen per week",
    "32 van de 0 uur",
    "1-3-2027",
    "per 1 april",
    "over drie dagen",
    "in three days",
    "58k",
    "€ 52.242,28",
    "52.242,28",
    "2001681",
    "123456782",
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("text", "percentage", "certain"), PARTTIMES)
def test_parse_parttime_reads_percentages(text: str, percentage: str, certain: bool, language: str) -> None:
    assert parse_parttime(text, language) == ParttimeParse(Decimal(percentage), certain)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", NOT_PARTTIMES)
def test_parse_parttime_finds_no_percentage_in_other_values(text: str, language: str) -> None:
    assert parse_parttime(text, language) == ParttimeParse(None, certain=False)


def test_a_parttime_parse_cannot_be_changed() -> None:
    parse = parse_parttime("80%", "nl")
    with pytest.raises(AttributeError):
        parse.percentage = Decimal(90)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (Decimal("80"), "nl", "80%"),
        (Decimal("80.000"), "en", "80%"),
        (Decimal("88.889"), "nl", "88,889%"),
        (Decimal("88.889"), "en", "88.889%"),
        (Decimal("93.750"), "nl", "93,75%"),
        (Decimal("100"), "en", "100%"),
    ],
)
def test_format_percentage_drops_trailing_zeros(value: Decimal, language: str, expected: str) -> None:
    assert format_percentage(value, language) == expected


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("value", [Decimal("80"), Decimal("88.889"), Decimal("100"), Decimal("12.5")])
def test_a_formatted_percentage_parses_back(value: Decimal, language: str) -> None:
    assert parse_parttime(format_percentage(value, language), language) == ParttimeParse(value, certain=True)


# --- BSNs -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123456782", "123456782"),
        ("1234.56.782", "123456782"),
        ("123 456 782", "123456782"),
        ("123.456.782", "123456782"),
        ("12345672", "012345672"),
        ("123.45.672", "012345672"),
        ("BSN: 123456782", "123456782"),
        ("nr.123456782", "123456782"),
        ("mijn bsn is 1234.56.782, klopt dat?", "123456782"),
        ("123456789", "123456789"),
        ("deelnemer 2001681, bsn 111222333", "111222333"),
    ],
)
def test_find_bsn_returns_nine_digits(text: str, expected: str) -> None:
    assert find_bsn(text) == expected


@pytest.mark.parametrize(
    "text",
    [*GARBAGE, "2001681", "1234567890", "52.242,28", "1-3-2027", "01.03.2027", "06-12345678", "0.123456789", "80%"],
)
def test_find_bsn_ignores_other_numbers(text: str) -> None:
    assert find_bsn(text) is None


@pytest.mark.parametrize(
    ("bsn", "valid"),
    [
        ("123456782", True),
        ("111222333", True),
        ("012345672", True),
        ("123456789", False),
        ("000000000", False),
        ("12345678", False),
        ("1234567820", False),
        ("12345678a", False),
        ("١٢٣٤٥٦٧٨٢", False),  # a valid BSN in Arabic-Indic digits
        ("", False),
    ],
)
def test_is_valid_bsn_applies_the_elfproef(bsn: str, valid: bool) -> None:
    assert is_valid_bsn(bsn) is valid


@pytest.mark.parametrize(("bsn", "expected"), [("123456782", "*****6782"), ("012345672", "*****5672")])
def test_mask_bsn_shows_the_last_four_digits(bsn: str, expected: str) -> None:
    assert mask_bsn(bsn) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BSN 123456782, deelnemer 2001681", "BSN *****6782, deelnemer 2001681"),
        ("1234.56.782 en 123 456 782", "*****6782 en *****6782"),
        ("oud nummer 12345672", "oud nummer *****5672"),
        ("salaris € 52.242,28 per 1-3-2027", "salaris € 52.242,28 per 1-3-2027"),
        ("IBAN NL91ABNA0417164300", "IBAN NL91ABNA0417164300"),
    ],
)
def test_mask_bsns_in_masks_every_bsn_and_nothing_else(text: str, expected: str) -> None:
    assert mask_bsns_in(text) == expected


# --- one message, every parser ----------------------------------------------------------------------------------------

# (text, date, amount, part-time percentage, BSN): each parser takes only its own kind of value.
MESSAGES = [
    ("1-3-2027", date(2027, 3, 1), None, None, None),
    ("80%", None, None, "80", None),
    ("2001681", None, None, None, None),
    ("123456782", None, None, None, "123456782"),
    ("€ 52.242,28", None, Decimal("52242.28"), None, None),
    ("58k per 1 maart", date(2027, 3, 1), Decimal("58000.00"), None, None),
    ("gaat 80% werken per 1 april", date(2027, 4, 1), None, "80", None),
    ("32 uur vanaf 1-3-2027", date(2027, 3, 1), None, "80", None),
]


@pytest.mark.parametrize(("text", "on", "amount", "percentage", "bsn"), MESSAGES)
def test_each_parser_takes_only_its_own_value(
    text: str, on: date | None, amount: Decimal | None, percentage: str | None, bsn: str | None
) -> None:
    assert parse_date(text, "nl", TODAY) == on
    assert parse_amount(text, "nl") == amount
    assert parse_parttime(text, "nl").percentage == (Decimal(percentage) if percentage else None)
    assert find_bsn(text) == bsn


# --- robustness -------------------------------------------------------------------------------------------------------

FRAGMENTS = [
    "1", "3", "31", "2027", "0", "99", "2001681", "123456782", "-", "/", ".", ",", "€", "%", "k", ",-",
    "maart", "march", "eind", "end of", "volgende", "next", "maand", "month", "vrijdag", "friday", "over", "in",
    "twee", "two", "weken", "weeks", "uur", "dagen", "van de", "out of", "fte", "per", "ja", "😀", "\u00a0", "e",
]  # fmt: skip


def random_messages(count: int) -> list[str]:
    """Returns messages glued together from fragments of dates, amounts and percentages, the same every run."""
    generator = random.Random(2027)
    return [
        generator.choice(["", " "]).join(generator.choices(FRAGMENTS, k=generator.randint(1, 8))) for _ in range(count)
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_parsers_never_raise_on_garbage(language: str) -> None:
    for text in random_messages(300):
        found = parse_date(text, language, TODAY)
        assert found is None or isinstance(found, date), text
        amount = parse_amount(text, language)
        assert amount is None or Decimal(0) < amount, text
        percentage = parse_parttime(text, language).percentage
        assert percentage is None or Decimal(0) < percentage <= 100, text
        bsn = find_bsn(text)
        assert bsn is None or (len(bsn) == 9 and bsn.isdigit()), text
        assert bsn is None or mask_bsns_in(text) != text, text


PARSERS_AND_FORMATTERS: list[Callable[[str], object]] = [
    lambda language: parse_date("1 maart", language, TODAY),
    lambda language: format_date(TODAY, language),
    lambda language: parse_amount("58k", language),
    lambda language: format_amount(Decimal(58000), language),
    lambda language: parse_parttime("80%", language),
    lambda language: format_percentage(Decimal(80), language),
]


@pytest.mark.parametrize("call", PARSERS_AND_FORMATTERS)
@pytest.mark.parametrize("language", ["de", "NL", "nl_NL", ""])
def test_an_unknown_language_is_refused(call: Callable[[str], object], language: str) -> None:
    with pytest.raises(ValueError, match="Unsupported language"):
        call(language)
