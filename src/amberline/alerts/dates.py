"""Dates and times as police alert texts write them, read into ISO 8601.

Alert texts mix US dates ("06/24/06", "3/14/2024", "March 14, 2024"), ISO dates, 24-hour
times ("1530 HRS") and 12-hour times ("3:30 p.m."). A two-digit year is read relative to the
alert's own date (a year not after it is this century), which is right for children's dates of
birth and for last-seen dates alike.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE = re.compile(
    r"(?P<iso>\b(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)\b)"
    r"|(?P<us>\b(?P<um>\d{1,2})[/.-](?P<ud>\d{1,2})[/.-](?P<uy>\d{4}|\d{2})\b)"
    r"|(?P<long>\b(?P<lm>" + _MONTH + r")\s+(?P<ld>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<ly>\d{4})\b)"
    r"|(?P<eu>\b(?P<ed>\d{1,2})\s+(?P<em>" + _MONTH + r")\s+(?P<ey>\d{4})\b)",
    re.IGNORECASE,
)
TIME = re.compile(
    r"\b(?P<h12>1[0-2]|0?[1-9])(?::(?P<m12>[0-5]\d))?\s*(?P<ampm>[ap])\.?\s*m\b\.?"
    r"|\b(?P<h24>[01]\d|2[0-3]):?(?P<m24>[0-5]\d)\s*(?:hrs|hours|h)\b\.?"
    r"|\b(?P<hc>[01]?\d|2[0-3]):(?P<mc>[0-5]\d)\b",
    re.IGNORECASE,
)


def _year(text: str, pivot: int) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if 2000 + year <= pivot else 1900
    return year


def read_date(m: re.Match[str], pivot_year: int) -> date | None:
    """The date of a `DATE` match, or None when it is not a real date."""
    try:
        if m["iso"]:
            return date(int(m["y"]), int(m["m"]), int(m["d"]))
        if m["us"]:
            return date(_year(m["uy"], pivot_year), int(m["um"]), int(m["ud"]))
        if m["long"]:
            return date(int(m["ly"]), MONTHS[m["lm"][:3].lower()], int(m["ld"]))
        return date(int(m["ey"]), MONTHS[m["em"][:3].lower()], int(m["ed"]))
    except ValueError:
        return None


def read_time(m: re.Match[str]) -> time:
    """The time of a `TIME` match."""
    if m["h12"]:
        hour = int(m["h12"]) % 12 + (12 if m["ampm"].lower() == "p" else 0)
        return time(hour, int(m["m12"] or 0))
    if m["h24"]:
        return time(int(m["h24"]), int(m["m24"]))
    return time(int(m["hc"]), int(m["mc"]))


def find_date(text: str, pivot_year: int) -> tuple[date, re.Match[str]] | None:
    """The first real date in `text`, with its match."""
    for m in DATE.finditer(text):
        found = read_date(m, pivot_year)
        if found is not None:
            return found, m
    return None


def find_datetime(text: str, reference: datetime) -> tuple[str | None, list[tuple[int, int]]]:
    """The date and time a clause names, as ISO 8601, and the stretches they occupy.

    A time without a date is on the reference's date; a date without a time is given as a
    date only. The result carries the reference's UTC offset (the alert's local time).
    """
    cut: list[tuple[int, int]] = []
    day = find_date(text, reference.year)
    if day is not None:
        cut.append(day[1].span())
    clock = next((m for m in TIME.finditer(text)
                  if not any(a <= m.start() < b for a, b in cut)), None)
    if clock is not None:
        cut.append(clock.span())
    if clock is None:
        return (day[0].isoformat() if day else None), cut
    tz: tzinfo | None = reference.tzinfo
    on = day[0] if day else reference.date()
    return datetime.combine(on, read_time(clock), tz).isoformat(), cut
