"""The business calendar SLAs are counted in, and a jurisdiction's own checks (bounds, boundary, clean()).

Most of it is pure: a `BusinessCalendar` built by hand, Philadelphia-shaped (weekdays, 2 pm cut-off,
close of business at 5 pm, America/New_York), so that every expectation below is a wall-clock fact a
resident could check on a paper calendar.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from civic311.jurisdictions.calendar import BusinessCalendar
from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.selectors import business_calendar

from .factories import HolidayFactory, JurisdictionFactory, box

NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC
WEEKDAYS = frozenset({0, 1, 2, 3, 4})
THANKSGIVING = dt.date(2026, 11, 26)
DAY_AFTER_THANKSGIVING = dt.date(2026, 11, 27)


def philly(holidays=(), *, weekdays=WEEKDAYS, cutoff=dt.time(14, 0), close=dt.time(17, 0)) -> BusinessCalendar:
    return BusinessCalendar(
        zone=NEW_YORK,
        working_weekdays=frozenset(weekdays),
        holidays=frozenset(holidays),
        intake_cutoff=cutoff,
        close_of_business=close,
    )


def local(year, month, day, hour=0, minute=0, second=0, microsecond=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=NEW_YORK)


def utc(year, month, day, hour=0, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


class CountingCalendar(BusinessCalendar):
    """A calendar that fails the test once it has looked at more days than a loop guard allows: an endless
    loop becomes a failure after a fixed number of steps, not after some seconds of a possibly busy machine."""

    STEP_LIMIT = 1_000  # the calendar gives up after 366 closed days in a row

    def is_business_day(self, day: dt.date) -> bool:
        steps = self.__dict__.get("_steps", 0) + 1
        object.__setattr__(self, "_steps", steps)  # the dataclass is frozen
        if steps > self.STEP_LIMIT:
            raise AssertionError(f"still looking for a business day after {self.STEP_LIMIT} days")
        return super().is_business_day(day)


def counting(calendar: BusinessCalendar) -> CountingCalendar:
    return CountingCalendar(**{name: getattr(calendar, name) for name in BusinessCalendar.__dataclass_fields__})


# --- business days ----------------------------------------------------------------------------------


def test_friday_before_the_cutoff_plus_one_business_day_is_monday_at_close_of_business():
    received = local(2026, 1, 2, 10, 0)  # a Friday
    assert received.weekday() == 4
    due = philly().due_after_business_days(received, 1)
    assert due == local(2026, 1, 5, 17, 0)  # Monday
    assert due.tzinfo == UTC


def test_friday_after_the_cutoff_starts_the_clock_on_monday_so_one_day_is_tuesday():
    received = local(2026, 1, 2, 15, 30)  # Friday afternoon
    assert philly().due_after_business_days(received, 1) == local(2026, 1, 6, 17, 0)


def test_five_business_days_from_a_monday_morning_is_the_next_monday():
    assert philly().due_after_business_days(local(2026, 1, 5, 9, 0), 5) == local(2026, 1, 12, 17, 0)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (local(2026, 1, 7, 13, 59, 59), local(2026, 1, 8, 17, 0)),
        (local(2026, 1, 7, 13, 59, 59, 999_999), local(2026, 1, 8, 17, 0)),
        (local(2026, 1, 7, 14, 0, 0), local(2026, 1, 9, 17, 0)),
        (local(2026, 1, 7, 14, 0, 1), local(2026, 1, 9, 17, 0)),
        (local(2026, 1, 7, 0, 0, 0), local(2026, 1, 8, 17, 0)),
        (local(2026, 1, 7, 23, 59, 59), local(2026, 1, 9, 17, 0)),
    ],
    ids=["13:59:59", "13:59:59.999999", "14:00:00", "14:00:01", "midnight", "23:59:59"],
)
def test_the_cutoff_is_exclusive_at_exactly_two_pm_local(received, due):
    assert received.weekday() == 2  # Wednesday
    assert philly().due_after_business_days(received, 1) == due


def test_the_cutoff_is_judged_in_local_time_not_utc():
    # 18:30Z on a January Wednesday is 13:30 in Philadelphia: before the cut-off.
    assert philly().due_after_business_days(utc(2026, 1, 7, 18, 30), 1) == local(2026, 1, 8, 17, 0)
    # 19:00Z is 14:00 local: at the cut-off, so the clock starts on Thursday.
    assert philly().due_after_business_days(utc(2026, 1, 7, 19, 0), 1) == local(2026, 1, 9, 17, 0)
    # 03:00Z on Thursday is still Wednesday 22:00 in Philadelphia.
    assert philly().clock_start_day(utc(2026, 1, 8, 3, 0)) == dt.date(2026, 1, 8)


@pytest.mark.parametrize(
    "received",
    [local(2026, 1, 3, 9, 0), local(2026, 1, 4, 11, 0), local(2026, 1, 3, 0, 0)],
    ids=["saturday-morning", "sunday", "saturday-midnight"],
)
def test_received_at_the_weekend_starts_the_clock_on_monday(received):
    calendar = philly()
    assert calendar.clock_start_day(received) == dt.date(2026, 1, 5)
    assert calendar.due_after_business_days(received, 1) == local(2026, 1, 6, 17, 0)


def test_thanksgiving_and_the_day_after_are_skipped():
    calendar = philly({THANKSGIVING, DAY_AFTER_THANKSGIVING})
    # Wednesday before Thanksgiving, in the morning: one business day is the Monday after.
    assert calendar.due_after_business_days(local(2026, 11, 25, 10, 0), 1) == local(2026, 11, 30, 17, 0)
    # Wednesday afternoon: the clock starts on Monday, so it is due Tuesday.
    assert calendar.due_after_business_days(local(2026, 11, 25, 15, 0), 1) == local(2026, 12, 1, 17, 0)
    # Five business days from the Tuesday before: Wed, Mon, Tue, Wed, Thu.
    assert calendar.due_after_business_days(local(2026, 11, 24, 9, 0), 5) == local(2026, 12, 3, 17, 0)
    # Without the holidays the same request would be due on Wednesday... of the week before.
    assert philly().due_after_business_days(local(2026, 11, 25, 10, 0), 1) == local(2026, 11, 26, 17, 0)


@pytest.mark.parametrize(
    "received",
    [local(2026, 11, 26, 9, 0), local(2026, 11, 27, 13, 0)],
    ids=["thanksgiving-morning", "day-after-before-cutoff"],
)
def test_received_on_a_holiday_before_the_cutoff_still_waits_for_the_next_business_day(received):
    calendar = philly({THANKSGIVING, DAY_AFTER_THANKSGIVING})
    assert calendar.clock_start_day(received) == dt.date(2026, 11, 30)
    assert calendar.due_after_business_days(received, 1) == local(2026, 12, 1, 17, 0)


def test_is_business_day():
    calendar = philly({THANKSGIVING})
    assert calendar.is_business_day(dt.date(2026, 11, 25))
    assert not calendar.is_business_day(THANKSGIVING)
    assert not calendar.is_business_day(dt.date(2026, 11, 28))  # Saturday
    assert not calendar.is_business_day(dt.date(2026, 11, 29))  # Sunday


def test_a_city_that_works_saturdays_counts_them():
    calendar = philly(weekdays={0, 1, 2, 3, 4, 5})
    assert calendar.due_after_business_days(local(2026, 1, 2, 10, 0), 1) == local(2026, 1, 3, 17, 0)


# --- daylight saving ----------------------------------------------------------------------------------


def test_business_days_across_the_november_change_are_due_at_five_pm_local():
    # Friday 30 October 2026 is EDT (UTC-4); Monday 2 November is EST (UTC-5).
    due = philly().due_after_business_days(local(2026, 10, 30, 10, 0), 1)
    assert due == utc(2026, 11, 2, 22, 0)
    assert due.astimezone(NEW_YORK).time() == dt.time(17, 0)
    # The week before, without the change, the same rule gives 21:00Z.
    assert philly().due_after_business_days(local(2026, 10, 23, 10, 0), 1) == utc(2026, 10, 26, 21, 0)


def test_business_days_across_the_march_change_are_due_at_five_pm_local():
    # Friday 6 March 2026 is EST (UTC-5); Monday 9 March is EDT (UTC-4).
    due = philly().due_after_business_days(local(2026, 3, 6, 10, 0), 1)
    assert due == utc(2026, 3, 9, 21, 0)
    assert due.astimezone(NEW_YORK).time() == dt.time(17, 0)
    assert philly().due_after_business_days(local(2026, 2, 27, 10, 0), 1) == utc(2026, 3, 2, 22, 0)


def test_an_hours_sla_across_the_november_change_is_exactly_n_elapsed_hours():
    received = local(2026, 10, 31, 20, 0)  # 00:00Z on 1 November
    due = BusinessCalendar.due_after_hours(received, 24)
    assert due == utc(2026, 11, 2, 0, 0)
    assert due - received == dt.timedelta(hours=24)
    # The clocks went back an hour, so on the wall it is only 19:00 the next day.
    assert due.astimezone(NEW_YORK) == local(2026, 11, 1, 19, 0)
    assert due.tzinfo == UTC


def test_an_hours_sla_across_the_march_change_is_exactly_n_elapsed_hours():
    received = local(2026, 3, 7, 20, 0)  # 01:00Z on 8 March
    due = BusinessCalendar.due_after_hours(received, 24)
    assert due == utc(2026, 3, 9, 1, 0)
    assert due - received == dt.timedelta(hours=24)
    assert due.astimezone(NEW_YORK) == local(2026, 3, 8, 21, 0)


def test_an_hours_sla_ignores_weekends_and_holidays():
    calendar = philly({THANKSGIVING})
    received = local(2026, 11, 25, 16, 0)
    assert calendar.due_after_hours(received, 48) == received + dt.timedelta(hours=48)


# --- calendars that could loop ----------------------------------------------------------------------


def test_a_calendar_with_no_working_days_raises_instead_of_looping():
    with pytest.raises(ValueError, match="no business day"):
        counting(philly(weekdays=set())).due_after_business_days(local(2026, 1, 5, 9, 0), 1)
    with pytest.raises(ValueError, match="no business day"):
        counting(philly(weekdays=set())).next_business_day(dt.date(2026, 1, 5))


def test_a_calendar_closed_for_more_than_a_year_raises_instead_of_looping():
    start = dt.date(2026, 1, 1)
    closed = {start + dt.timedelta(days=offset) for offset in range(400)}
    with pytest.raises(ValueError, match="no business day"):
        counting(philly(closed)).due_after_business_days(local(2026, 1, 1, 9, 0), 1)


def test_a_jurisdiction_with_no_working_weekdays_cannot_build_a_calendar():
    jurisdiction = Jurisdiction(working_weekdays="")
    with pytest.raises(ValueError, match=r"^$"):  # parse_weekdays's message is the value it refused: ""
        CountingCalendar.for_jurisdiction(jurisdiction, holidays=[])


# --- properties ---------------------------------------------------------------------------------------

# Hypothesis takes naive bounds and attaches the zone from `timezones` itself (aware bounds are an error).
received_times = st.datetimes(
    min_value=dt.datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2031, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
weekday_sets = st.frozensets(st.integers(0, 6), min_size=1)
holiday_sets = st.frozensets(st.dates(min_value=dt.date(2019, 12, 1), max_value=dt.date(2032, 6, 30)), max_size=40)
closing_times = st.times(min_value=dt.time(12, 0), max_value=dt.time(20, 0))
calendars = st.builds(
    lambda weekdays, holidays, cutoff, close: philly(holidays, weekdays=weekdays, cutoff=cutoff, close=close),
    weekday_sets,
    holiday_sets,
    st.times(),
    closing_times,
)
sla_days = st.integers(1, 30)


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, received=received_times, days=sla_days)
def test_due_is_always_a_business_day_at_close_of_business_after_receipt(calendar, received, days):
    due = calendar.due_after_business_days(received, days)
    due_local = due.astimezone(calendar.zone)
    assert due.utcoffset() == dt.timedelta(0)
    assert due_local.time() == calendar.close_of_business
    assert calendar.is_business_day(due_local.date())
    assert due > received
    # Exactly `days` business days lie after the day the clock started, up to and including the due day.
    start = calendar.clock_start_day(received)
    counted = sum(
        1
        for offset in range(1, (due_local.date() - start).days + 1)
        if calendar.is_business_day(start + dt.timedelta(days=offset))
    )
    assert counted == days


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, first=received_times, second=received_times, days=sla_days)
def test_due_is_monotone_in_the_time_of_receipt(calendar, first, second, days):
    earlier, later = sorted([first, second])
    assert calendar.due_after_business_days(earlier, days) <= calendar.due_after_business_days(later, days)


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, received=received_times, days=sla_days)
def test_due_is_strictly_monotone_in_the_number_of_days(calendar, received, days):
    assert calendar.due_after_business_days(received, days) < calendar.due_after_business_days(received, days + 1)


@settings(max_examples=200, deadline=None)
@given(received=received_times, hours=st.integers(1, 24 * 30))
def test_an_hours_sla_is_always_exactly_n_hours(received, hours):
    due = BusinessCalendar.due_after_hours(received.astimezone(NEW_YORK), hours)
    assert due - received == dt.timedelta(hours=hours)
    assert due.utcoffset() == dt.timedelta(0)


# --- the calendar of a stored jurisdiction --------------------------------------------------------


def test_for_jurisdiction_reads_its_holidays_zone_and_hours(jurisdiction):
    HolidayFactory(jurisdiction=jurisdiction, date=THANKSGIVING, name="Thanksgiving")
    JurisdictionFactory(slug="elsewhere", jurisdiction_id="elsewhere.example", is_default=False)
    HolidayFactory(jurisdiction=Jurisdiction.objects.get(slug="elsewhere"), date=dt.date(2026, 11, 25))
    calendar = BusinessCalendar.for_jurisdiction(jurisdiction)
    assert calendar.holidays == frozenset({THANKSGIVING})
    assert calendar.zone == NEW_YORK
    assert calendar.working_weekdays == WEEKDAYS
    assert calendar.intake_cutoff == dt.time(14, 0)
    assert calendar.close_of_business == dt.time(17, 0)


def test_the_cached_calendar_is_forgotten_when_a_holiday_is_added_or_removed(jurisdiction):
    received = local(2026, 11, 25, 10, 0)
    assert business_calendar(jurisdiction).due_after_business_days(received, 1) == local(2026, 11, 26, 17, 0)
    holiday = HolidayFactory(jurisdiction=jurisdiction, date=THANKSGIVING, name="Thanksgiving")
    assert business_calendar(jurisdiction).due_after_business_days(received, 1) == local(2026, 11, 27, 17, 0)
    holiday.delete()
    assert business_calendar(jurisdiction).due_after_business_days(received, 1) == local(2026, 11, 26, 17, 0)


def test_the_cached_calendar_is_forgotten_when_the_jurisdiction_is_saved(jurisdiction):
    received = local(2026, 1, 7, 15, 0)
    assert business_calendar(jurisdiction).due_after_business_days(received, 1) == local(2026, 1, 9, 17, 0)
    jurisdiction.intake_cutoff = dt.time(16, 0)
    jurisdiction.save()
    assert business_calendar(jurisdiction).due_after_business_days(received, 1) == local(2026, 1, 8, 17, 0)


def test_the_calendar_is_cached(jurisdiction, django_assert_num_queries):
    business_calendar(jurisdiction)
    with django_assert_num_queries(0):
        business_calendar(jurisdiction)


# --- Jurisdiction.contains -----------------------------------------------------------------------------


def _city(**fields) -> Jurisdiction:
    values = {
        "slug": "philadelphia",
        "name": "Philadelphia",
        "jurisdiction_id": "phila.gov",
        "min_lat": 39.87,
        "max_lat": 40.14,
        "min_long": -75.28,
        "max_long": -74.96,
    }
    values.update(fields)
    return Jurisdiction(**values)


@pytest.mark.parametrize(
    ("lat", "long", "inside"),
    [
        (39.9526, -75.1635, True),  # City Hall
        (39.87, -75.28, True),  # the south-west corner of the box
        (40.14, -74.96, True),  # the north-east corner
        (39.95, -74.96, True),  # on the eastern edge
        (39.8699, -75.1635, False),  # just south
        (40.1401, -75.1635, False),  # just north
        (39.95, -75.2801, False),  # just west
        (39.95, -74.9599, False),  # just east (New Jersey)
        (40.7128, -74.0060, False),  # New York
        (float("nan"), -75.1635, False),
    ],
)
def test_contains_with_only_a_box(lat, long, inside):
    assert _city().contains(lat, long) is inside


def test_contains_with_a_boundary_needs_the_point_in_both_the_box_and_the_polygon():
    # A triangle inside the box: its south-west corner, south-east corner and north-west corner.
    triangle = {
        "type": "Polygon",
        "coordinates": [[[-75.28, 39.87], [-74.96, 39.87], [-75.28, 40.14], [-75.28, 39.87]]],
    }
    city = _city(boundary=triangle)
    assert city.contains(39.90, -75.20)  # inside the triangle
    assert not city.contains(40.10, -75.00)  # inside the box, outside the triangle
    assert city.contains(39.87, -75.10)  # on the triangle's southern edge
    assert city.contains(39.87, -75.28)  # on a vertex
    assert not _city(boundary=box(-80, 30, -70, 50)).contains(41.0, -75.0)  # in the polygon, outside the box


def test_contains_with_a_multipolygon_boundary():
    west, east = box(-75.28, 39.87, -75.20, 40.14), box(-75.00, 39.87, -74.96, 40.14)
    multi = {"type": "MultiPolygon", "coordinates": [west["coordinates"], east["coordinates"]]}
    city = _city(boundary=multi)
    assert city.contains(39.95, -75.25)
    assert city.contains(39.95, -74.98)
    assert not city.contains(39.95, -75.10)


# --- Jurisdiction.clean() ------------------------------------------------------------------------------


def test_a_well_formed_jurisdiction_is_clean():
    _city(boundary=box(-75.28, 39.87, -74.96, 40.14)).full_clean(validate_unique=False)


@pytest.mark.parametrize(
    "bounds",
    [{"min_lat": 40.2}, {"max_lat": 39.0}, {"max_lat": 39.87}, {"min_long": -74.0}, {"max_long": -75.28}],
    ids=["min-lat-above-max", "max-lat-below-min", "lat-equal", "min-long-above-max", "long-equal"],
)
def test_clean_refuses_bounds_that_are_not_smaller_than_their_opposite(bounds):
    with pytest.raises(ValidationError, match="smaller than its opposite"):
        _city(**bounds).clean()


@pytest.mark.parametrize("weekdays", ["", "7", "0,1,7", "mon,tue", "-1", " , "])
def test_clean_refuses_working_weekdays_that_are_not_zero_to_six(weekdays):
    with pytest.raises(ValidationError) as caught:
        _city(working_weekdays=weekdays).clean()
    assert "working_weekdays" in caught.value.message_dict


@pytest.mark.parametrize("weekdays", ["0,1,2,3,4", "0,1,2,3,4,5,6", "6", "4, 0"])
def test_clean_accepts_working_weekdays(weekdays):
    _city(working_weekdays=weekdays).clean()


def test_full_clean_refuses_an_unknown_time_zone():
    with pytest.raises(ValidationError) as caught:
        _city(time_zone="Mars/Olympus_Mons").full_clean(validate_unique=False)
    assert "time_zone" in caught.value.message_dict


@pytest.mark.parametrize(
    "boundary",
    [
        {"type": "Point", "coordinates": [-75.16, 39.95]},
        {"type": "Polygon", "coordinates": "nonsense"},
        {
            "type": "Polygon",
            "coordinates": [[[-75.2, 39.9], [-75.0, 40.1], [-75.0, 39.9], [-75.2, 40.1], [-75.2, 39.9]]],
        },  # a bow tie crosses itself
        {"nothing": "here"},
    ],
    ids=["point", "bad-coordinates", "bow-tie", "not-geojson"],
)
def test_full_clean_refuses_a_boundary_that_is_not_a_valid_polygon(boundary):
    with pytest.raises(ValidationError) as caught:
        _city(boundary=boundary).full_clean(validate_unique=False)
    assert "boundary" in caught.value.message_dict


def test_full_clean_with_a_missing_bound_reports_the_field_instead_of_crashing():
    with pytest.raises(ValidationError) as caught:
        _city(min_lat=None).full_clean(validate_unique=False)
    assert "min_lat" in caught.value.message_dict


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"business_day_start": dt.time(17, 0), "business_day_end": dt.time(9, 0)}, "business_day_end"),
        ({"intake_cutoff": dt.time(18, 0)}, "intake_cutoff"),
        ({"intake_cutoff": dt.time(7, 0)}, "intake_cutoff"),
    ],
    ids=["day-ends-before-it-starts", "cut-off-after-close", "cut-off-before-opening"],
)
def test_clean_refuses_a_business_day_that_makes_no_sense(fields, key):
    with pytest.raises(ValidationError) as caught:
        _city(**fields).clean()
    assert key in caught.value.message_dict


def test_clean_refuses_coordinates_off_the_globe():
    with pytest.raises(ValidationError, match="between -90 and 90"):
        _city(min_lat=-95.0).clean()
