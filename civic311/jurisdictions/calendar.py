"""The business calendar a jurisdiction counts its service level agreements in.

Rules (Philly311's "5 Business Days", "reported by 2 pm"):
- A business day is a working weekday that is not one of the jurisdiction's holidays.
- A request received on a business day before the intake cut-off starts its clock that day; otherwise
  the clock starts on the next business day.
- An SLA of N business days is due at the close of business on the Nth business day after the day the
  clock started.
- An SLA of N hours is due N elapsed hours after receipt, whatever the calendar (emergencies).
All arithmetic happens on local dates and wall-clock times, then converts to UTC, so a due time at close
of business stays at close of business across a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# A calendar that never finds a business day would loop forever; no real calendar has a gap this long.
_MAX_CLOSED_DAYS_IN_A_ROW = 366


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    working_weekdays: frozenset[int]
    holidays: frozenset[dt.date]
    intake_cutoff: dt.time
    close_of_business: dt.time

    @classmethod
    def for_jurisdiction(cls, jurisdiction, holidays: Iterable[dt.date] | None = None) -> BusinessCalendar:
        if holidays is None:
            holidays = jurisdiction.holidays.values_list("date", flat=True)
        return cls(
            zone=jurisdiction.zone,
            working_weekdays=jurisdiction.weekday_numbers,
            holidays=frozenset(holidays),
            intake_cutoff=jurisdiction.intake_cutoff,
            close_of_business=jurisdiction.business_day_end,
        )

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() in self.working_weekdays and day not in self.holidays

    def next_business_day(self, day: dt.date) -> dt.date:
        """The first business day strictly after `day`."""
        for _ in range(_MAX_CLOSED_DAYS_IN_A_ROW):
            day += dt.timedelta(days=1)
            if self.is_business_day(day):
                return day
        raise ValueError("the calendar has no business day within a year")

    def previous_business_day(self, day: dt.date) -> dt.date:
        """The last business day strictly before `day`."""
        for _ in range(_MAX_CLOSED_DAYS_IN_A_ROW):
            day -= dt.timedelta(days=1)
            if self.is_business_day(day):
                return day
        raise ValueError("the calendar has no business day within a year")

    def clock_start_day(self, received_at: dt.datetime) -> dt.date:
        local = received_at.astimezone(self.zone)
        if self.is_business_day(local.date()) and local.time() < self.intake_cutoff:
            return local.date()
        return self.next_business_day(local.date())

    def add_business_days(self, day: dt.date, count: int) -> dt.date:
        for _ in range(count):
            day = self.next_business_day(day)
        return day

    def shift_business_days(self, day: dt.date, count: int) -> dt.date:
        """`day` moved by `count` business days (backwards when negative); 0 leaves it as it is."""
        if count >= 0:
            return self.add_business_days(day, count)
        for _ in range(-count):
            day = self.previous_business_day(day)
        return day

    def due_after_business_days(self, received_at: dt.datetime, count: int) -> dt.datetime:
        return self.close_of(self.add_business_days(self.clock_start_day(received_at), count))

    def close_of(self, day: dt.date) -> dt.datetime:
        """The close of business on `day`, in UTC."""
        return dt.datetime.combine(day, self.close_of_business, tzinfo=self.zone).astimezone(dt.UTC)

    @staticmethod
    def due_after_hours(received_at: dt.datetime, hours: int) -> dt.datetime:
        return received_at.astimezone(dt.UTC) + dt.timedelta(hours=hours)
