"""The one parser of each cell format (routeplan.formats): clock times and windows."""

from __future__ import annotations

import pytest

from routeplan.formats import (
    ValueProblem,
    clock_or_none,
    format_clock,
    format_windows,
    parse_clock,
    parse_windows,
)


@pytest.mark.parametrize(
    ("text", "as_start", "as_end"),
    [
        ("09:00", 540, 540),
        ("9:00", 540, 540),
        ("09:00:00", 540, 540),  # a spreadsheet time cell
        ("00:00", 0, 0),
        ("23:59", 1439, 1439),
        ("24:00", None, 1440),  # the end of the day: only as an end
        ("24:01", None, None),
        ("25:00", None, None),
        ("09:60", None, None),
        ("09:00:30", None, None),  # seconds are not minutes
        ("9", None, None),
        ("0900", None, None),
        ("9h00", None, None),
        ("", None, None),
        ("-1:00", None, None),
    ],
)
def test_parse_clock_table(text: str, as_start: int | None, as_end: int | None) -> None:
    """Each clock text parses to minutes after midnight, as a start and as an end, or is refused."""
    for allow_24, expected in ((False, as_start), (True, as_end)):
        if expected is None:
            with pytest.raises(ValueProblem):
                parse_clock(text, allow_24=allow_24)
        else:
            assert parse_clock(text, allow_24=allow_24) == expected


def test_refusals_say_what_is_allowed() -> None:
    """A refused clock names the value and the HH:MM form (or that it is no time of day)."""
    with pytest.raises(ValueProblem, match=r"'9' is not a time in HH:MM form"):
        parse_clock("9")
    with pytest.raises(ValueProblem, match=r"'25:00' is not a valid time of day"):
        parse_clock("25:00")
    with pytest.raises(ValueError):  # a ValueProblem is a ValueError
        parse_clock("")


def test_clock_or_none_reads_cells() -> None:
    """clock_or_none strips a cell and gives None instead of an error; 24:00 is allowed."""
    assert clock_or_none(" 9:30 ") == 570
    assert clock_or_none("24:00") == 1440
    assert clock_or_none("24:00", allow_24=False) is None
    assert clock_or_none(None) is None
    assert clock_or_none(float("nan")) is None
    assert clock_or_none("noon") is None


def test_format_clock_minutes_and_seconds() -> None:
    """Minutes or seconds after midnight are shown as HH:MM, seconds cut down."""
    assert format_clock(540) == "09:00"
    assert format_clock(1440) == "24:00"
    assert format_clock(9 * 3600 + 59, seconds=True) == "09:00"


def test_windows_round_trip() -> None:
    """Windows parse to sorted, merged minute ranges and format back."""
    spans = parse_windows("18:00-20:00; 9:00-12:00;11:00-13:00")
    assert spans == ((540, 780), (1080, 1200))
    assert format_windows(spans) == "09:00-13:00;18:00-20:00"
    assert parse_windows("20:00-24:00") == ((1200, 1440),)
    with pytest.raises(ValueProblem, match="ends before it starts"):
        parse_windows("22:00-02:00")
    with pytest.raises(ValueProblem):
        parse_windows("24:00-24:00")  # 24:00 is no start
