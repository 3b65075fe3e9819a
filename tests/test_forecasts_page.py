"""The stored forecast and the supervisors' page (/insights/forecast/): the history read by the city's local
day, the rows a run stores, the command and the nightly task, the emergency adjustment (recorded, applied,
withdrawn, refused), the staffing target and table, the page in English and Spanish, the CSV, and the roles
refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from civic311.insights import forecast_selectors as selectors
from civic311.insights import forecast_services as services
from civic311.insights import staffing, tasks
from civic311.insights.models import ForecastAdjustment, ForecastRun, StaffingTarget, VolumeForecast
from civic311.people.models import StaffRole
from civic311.service_requests.models import Channel, Contact

from .factories import HolidayFactory, ServiceFactory, filed_request, staff_in_role
from .roles_helpers import STAFF_ROLES

pytestmark = pytest.mark.django_db

PHILLY = ZoneInfo("America/New_York")
# A Monday morning in Philadelphia; history runs to Sunday 2026-03-15.
NOW = dt.datetime(2026, 3, 16, 6, 0, tzinfo=PHILLY)
TODAY = dt.date(2026, 3, 16)
# Phone calls a day, Monday first; each call lasts 5 minutes.
CALLS = (40, 36, 34, 32, 30, 10, 8)
HANDLE = 300
PAGE, CSV = "/insights/forecast/", "/insights/forecast/forecast.csv"
ADJUST, TARGET = "/insights/forecast/adjust/", "/insights/forecast/target/"
SEE = {StaffRole.SUPERVISOR, StaffRole.LEADERSHIP, StaffRole.ADMIN}
ADJUSTS = {StaffRole.SUPERVISOR, StaffRole.ADMIN}


def calls_on(jurisdiction, day: dt.date, count: int, channel: str = Channel.PHONE) -> list[Contact]:
    """`count` calls on a local day, half at 10:00-10:29 and half at 14:00-14:29."""
    contacts = []
    for index in range(count):
        started = dt.datetime.combine(day, dt.time(10 if index % 2 == 0 else 14, index % 30), tzinfo=PHILLY)
        contacts.append(
            Contact(
                jurisdiction=jurisdiction,
                channel=channel,
                outcome=Contact.Outcome.INFORMATION,
                started_at=started,
                ended_at=started + dt.timedelta(seconds=HANDLE),
            )
        )
    return contacts


def shown(jurisdiction) -> selectors.Forecast:
    figures = selectors.forecast(jurisdiction)
    assert figures is not None
    return figures


def row_of(figures: selectors.Forecast, day: dt.date) -> selectors.DayRow:
    row = figures.day(day)
    assert row is not None
    return row


@pytest.fixture
def history(jurisdiction):
    """Eight weeks of phone calls in a weekly pattern, web contacts at a tenth, and a holiday."""
    contacts = []
    first = TODAY - dt.timedelta(days=56)
    holiday = dt.date(2026, 2, 16)
    HolidayFactory(jurisdiction=jurisdiction, date=holiday, name="Presidents' Day")
    for offset in range(56):
        day = first + dt.timedelta(days=offset)
        count = CALLS[day.weekday()] // (3 if day == holiday else 1)
        contacts += calls_on(jurisdiction, day, count)
        contacts += calls_on(jurisdiction, day, count // 10, Channel.WEB)
    Contact.objects.bulk_create(contacts)
    return jurisdiction


@pytest.fixture
def run(history):
    return services.make_forecast(history, now=NOW, weeks=2)


@pytest.fixture
def supervisor(db):
    return staff_in_role(StaffRole.SUPERVISOR, username="sonia")


def test_the_history_is_read_by_the_citys_local_day(jurisdiction):
    service = ServiceFactory(jurisdiction=jurisdiction)
    late = dt.datetime(2026, 3, 3, 3, 30, tzinfo=dt.UTC)  # 22:30 on 2 March in Philadelphia
    Contact.objects.bulk_create(calls_on(jurisdiction, dt.date(2026, 3, 2), 2))
    Contact.objects.create(
        jurisdiction=jurisdiction,
        channel=Channel.SMS,
        outcome=Contact.Outcome.INFORMATION,
        started_at=late,
        service=service,
    )
    contacts = services.read_history(jurisdiction, "contacts", dt.date(2026, 3, 1), dt.date(2026, 3, 4))
    filed_request(service, now=late)
    filed_request(service, now=dt.datetime(2026, 3, 3, 15, 0, tzinfo=PHILLY))
    assert contacts.total == {dt.date(2026, 3, 2): 3}
    assert contacts.by_channel == {"phone": {dt.date(2026, 3, 2): 2}, "sms": {dt.date(2026, 3, 2): 1}}
    assert contacts.by_service == {service.pk: {dt.date(2026, 3, 2): 1}}
    requests = services.read_history(jurisdiction, "requests", dt.date(2026, 3, 1), dt.date(2026, 3, 4))
    assert requests.total == {dt.date(2026, 3, 2): 1, dt.date(2026, 3, 3): 1}
    assert requests.by_service == {service.pk: {dt.date(2026, 3, 2): 1, dt.date(2026, 3, 3): 1}}


def test_one_aggregate_query_per_series_kind(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        services.read_history(history, "contacts", TODAY - dt.timedelta(days=60), TODAY)
        services.read_history(history, "requests", TODAY - dt.timedelta(days=60), TODAY)


def test_a_run_stores_the_next_weeks_with_the_weekly_pattern(run):
    assert run.first_day == TODAY and run.last_day == TODAY + dt.timedelta(days=13)
    assert run.history_first == TODAY - dt.timedelta(days=56) and run.history_last == TODAY - dt.timedelta(days=1)
    phone = {row.day: row.expected for row in VolumeForecast.objects.filter(run=run, kind="contacts", channel="phone")}
    assert len(phone) == 14
    for day, expected in phone.items():
        assert expected == pytest.approx(CALLS[day.weekday()], rel=0.1)
    every = VolumeForecast.objects.filter(run=run, kind="contacts", channel="", service__isnull=True)
    assert every.count() == 14
    assert VolumeForecast.objects.filter(run=run, kind="contacts", channel="web").count() == 14
    assert not VolumeForecast.objects.filter(run=run, kind="requests").exclude(expected=0).exists()
    assert run.handle_mean_seconds == HANDLE and run.handle_median_seconds == HANDLE
    monday = run.profiles["contacts:phone"][0]
    assert monday[20] == pytest.approx(0.5, abs=0.01) and monday[28] == pytest.approx(0.5, abs=0.01)  # 10:00, 14:00
    assert run.backtest["contacts"]["model"] < 0.1 and run.backtest["contacts"]["days"] == 28


def test_the_holiday_is_forecast_low(history):
    HolidayFactory(jurisdiction=history, date=dt.date(2026, 3, 23), name="A new holiday")
    run = services.make_forecast(history, now=NOW, weeks=2)
    phone = {row.day: row.expected for row in VolumeForecast.objects.filter(run=run, kind="contacts", channel="phone")}
    assert phone[dt.date(2026, 3, 23)] < 0.6 * phone[dt.date(2026, 3, 16)]


def test_old_runs_are_pruned_and_the_page_reads_the_newest(history):
    for hours in range(services.KEEP_RUNS + 2):
        services.make_forecast(history, now=NOW + dt.timedelta(hours=hours), weeks=1)
    assert ForecastRun.objects.filter(jurisdiction=history).count() == services.KEEP_RUNS
    newest = selectors.latest_run(history)
    assert newest is not None and newest.made_at == NOW + dt.timedelta(hours=services.KEEP_RUNS + 1)


def test_the_command_and_the_nightly_task(history):
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("make_forecasts", "--city", history.slug, "--weeks", "1", stdout=out)
        assert "7 forecast days" not in out.getvalue()  # channels and kinds too
        assert f"{history.slug}:" in out.getvalue() and "backtest WAPE" in out.getvalue()
        made = tasks.make_forecasts.call_local()
    assert made[history.slug] == VolumeForecast.objects.filter(run=selectors.latest_run(history)).count()
    assert ForecastRun.objects.count() == 2
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("make_forecasts", "--city", "nowhere", stdout=io.StringIO())


# --- the emergency adjustment ------------------------------------------------------------------------


def test_a_supervisor_applies_a_storm_adjustment(run, supervisor):
    storm = TODAY + dt.timedelta(days=2)
    with time_machine.travel(NOW, tick=False):
        adjustment = services.adjust_forecast(
            run.jurisdiction, first_day=storm, last_day=storm, multiplier="4", reason="Snow emergency", actor=supervisor
        )
    assert adjustment.made_by == supervisor and adjustment.made_at == NOW and adjustment.multiplier == Decimal("4.00")
    figures = shown(run.jurisdiction)
    stored = VolumeForecast.objects.get(run=run, kind="contacts", channel="phone", day=storm).expected
    row = row_of(figures, storm)
    assert row.multiplier == 4 and row.figures["phone"] == pytest.approx(4 * stored)
    assert row_of(figures, storm + dt.timedelta(days=1)).multiplier == 1
    # Staffing follows the adjusted calls.
    plain = selectors.day_staffing(run, storm, figures.target, [], stored)
    stormy = selectors.day_staffing(run, storm, figures.target, figures.in_force, stored)
    assert stormy.calls == pytest.approx(4 * plain.calls)
    assert stormy.peak.need.agents > plain.peak.need.agents
    # Withdrawn, it no longer applies but stays on record.
    services.withdraw_adjustment(adjustment, actor=supervisor)
    adjustment.refresh_from_db()
    assert adjustment.withdrawn_by == supervisor and adjustment.withdrawn_at is not None
    assert row_of(shown(run.jurisdiction), storm).multiplier == 1
    with pytest.raises(ValidationError):
        services.withdraw_adjustment(adjustment, actor=supervisor)


def test_adjustments_multiply_where_they_overlap(run, supervisor):
    with time_machine.travel(NOW, tick=False):
        for first, last, factor in ((0, 3, "2"), (3, 5, "1.5")):
            services.adjust_forecast(
                run.jurisdiction,
                first_day=TODAY + dt.timedelta(days=first),
                last_day=TODAY + dt.timedelta(days=last),
                multiplier=factor,
                reason="Event",
                actor=supervisor,
            )
    figures = shown(run.jurisdiction)
    assert [row_of(figures, TODAY + dt.timedelta(days=n)).multiplier for n in range(7)] == [2, 2, 2, 3, 1.5, 1.5, 1]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_day": dt.date(2026, 3, 20), "last_day": dt.date(2026, 3, 19)}, "last_day"),
        ({"first_day": dt.date(2026, 3, 1), "last_day": dt.date(2026, 3, 10)}, "last_day"),
        ({"last_day": dt.date(2026, 5, 1)}, "last_day"),
        ({"multiplier": "0"}, "multiplier"),
        ({"multiplier": "21"}, "multiplier"),
        ({"multiplier": "four"}, "multiplier"),
        ({"reason": "  "}, "reason"),
        ({"first_day": None}, "first_day"),
    ],
)
def test_a_bad_adjustment_is_refused_by_field(jurisdiction, supervisor, fields, field):
    asked = {"first_day": dt.date(2026, 3, 17), "last_day": dt.date(2026, 3, 18), "multiplier": "4", "reason": "Storm"}
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        services.adjust_forecast(jurisdiction, actor=supervisor, **{**asked, **fields})
    assert field in refused.value.message_dict
    assert not ForecastAdjustment.objects.exists()


@pytest.mark.parametrize("role", sorted(set(STAFF_ROLES) - ADJUSTS))
def test_only_supervisors_and_admins_adjust(jurisdiction, role):
    someone = staff_in_role(role)
    with time_machine.travel(NOW, tick=False), pytest.raises(PermissionDenied):
        services.adjust_forecast(
            jurisdiction, first_day=TODAY, last_day=TODAY, multiplier="4", reason="Storm", actor=someone
        )
    with pytest.raises(PermissionDenied):
        services.set_staffing_target(
            jurisdiction, answered_percent=90, answer_seconds=20, shrinkage_percent=25, actor=someone
        )


# --- the staffing target and table ------------------------------------------------------------------


def test_the_staffing_target_defaults_and_is_set(jurisdiction, supervisor):
    target = selectors.staffing_target(jurisdiction)
    assert (target.answered_share, target.answer_seconds, target.shrinkage, target.is_default) == (0.8, 30, 0.3, True)
    services.set_staffing_target(
        jurisdiction, answered_percent="90", answer_seconds="20", shrinkage_percent="35", actor=supervisor
    )
    target = selectors.staffing_target(jurisdiction)
    assert (target.answered_share, target.answer_seconds, target.shrinkage, target.is_default) == (0.9, 20, 0.35, False)
    assert StaffingTarget.objects.get().updated_by == supervisor
    with pytest.raises(ValidationError) as refused:
        services.set_staffing_target(
            jurisdiction, answered_percent="100", answer_seconds="x", shrinkage_percent="95", actor=supervisor
        )
    assert set(refused.value.message_dict) == {"answered_percent", "answer_seconds", "shrinkage_percent"}


def test_the_staffing_table_of_a_day(run):
    target = selectors.Target(0.8, 30, 0.3, False)
    day = selectors.day_staffing(run, TODAY, target, [], 40.0)
    assert len(day.half_hours) == 48 and day.handle_seconds == HANDLE and not day.handle_assumed
    ten = day.half_hours[20]
    assert ten.start == dt.time(10, 0) and ten.calls == pytest.approx(20.0, abs=0.2)
    assert ten.need == staffing.agents_needed(ten.calls, HANDLE, answered_share=0.8, answer_seconds=30, shrinkage=0.3)
    assert day.half_hours[21].calls == 0 and day.half_hours[21].need.agents == 0
    assert day.peak.start in (dt.time(10, 0), dt.time(14, 0))
    hours = day.hours
    assert len(hours) == 24 and hours[10] == (
        dt.time(10, 0),
        pytest.approx(ten.calls),
        ten.need.agents,
        ten.need.scheduled,
    )
    assert day.agent_hours == sum(half.need.scheduled for half in day.half_hours) / 2


# --- the page, the CSV, the roles ---------------------------------------------------------------------


def test_a_supervisor_reads_the_page(client, run, supervisor):
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE, {"day": "2026-03-17"})
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["chosen_day"] == dt.date(2026, 3, 17)
    for table in ("forecast-days", "forecast-hours", "forecast-half-hours", "forecast-channels", "forecast-backtest"):
        assert f'id="{table}"' in page
    assert 'id="adjust-form"' in page and 'id="target-form"' in page
    assert "Forecast and staffing" in page and 'href="/insights/forecast/"' in page and 'aria-current="page"' in page
    assert "vendor/chart.js/chart.umd.min.js" in page and 'id="forecast-chart-data"' in page
    assert "<script>" not in page  # no inline script: the chart's data is a JSON block
    assert "80 % of calls answered within 30 seconds" in page


def test_the_page_in_spanish(client, run, supervisor):
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert response.context["figures"].days


def test_the_page_without_a_forecast_and_a_bad_day(client, jurisdiction, supervisor, run):
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE, {"day": "2027-01-01"})
    assert response.status_code == 400 and response.context["chosen_day"] == TODAY
    ForecastRun.objects.all().delete()
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE)
        assert response.status_code == 200 and 'id="no-forecast"' in response.content.decode()
        assert client.get(CSV).status_code == 404


def test_the_adjustment_form(client, run, supervisor):
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            ADJUST, {"first_day": "2026-03-18", "last_day": "2026-03-18", "multiplier": "4", "reason": "Snow"}
        )
        assert response.status_code == 302 and response["Location"].endswith("?day=2026-03-18")
        page = client.get(PAGE, {"day": "2026-03-18"}).content.decode()
        assert 'id="adjustments-in-force"' in page and "Snow" in page and "\u00d74" in page
        refused = client.post(
            ADJUST, {"first_day": "2026-03-18", "last_day": "2026-03-17", "multiplier": "4", "reason": "Snow"}
        )
        assert refused.status_code == 400 and "last_day" in refused.context["adjustment_form"].errors
        assert 'id="id_last_day-error"' in refused.content.decode()
        empty = client.post(ADJUST, {"first_day": "2026-03-18", "last_day": "2026-03-18", "multiplier": "4"})
        assert empty.status_code == 400 and "reason" in empty.context["adjustment_form"].errors
    adjustment = ForecastAdjustment.objects.get()
    with time_machine.travel(NOW, tick=False):
        assert client.post(f"/insights/forecast/adjust/{adjustment.pk}/withdraw/").status_code == 302
    adjustment.refresh_from_db()
    assert adjustment.withdrawn_by == supervisor


def test_the_target_form(client, run, supervisor):
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.post(TARGET, {"answered_percent": "90", "answer_seconds": "20", "shrinkage_percent": "25"})
        assert response.status_code == 302
        assert "90 % of calls answered within 20 seconds; 25 % shrinkage" in client.get(PAGE).content.decode()
        assert client.post(TARGET, {"answered_percent": "100"}).status_code == 400


def test_the_csv(client, run, supervisor):
    storm = TODAY + dt.timedelta(days=1)
    with time_machine.travel(NOW, tick=False):
        services.adjust_forecast(
            run.jurisdiction, first_day=storm, last_day=storm, multiplier="4", reason="Storm", actor=supervisor
        )
        client.force_login(supervisor)
        response = client.get(CSV)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"forecast-{run.jurisdiction.slug}-2026-03-16.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == VolumeForecast.objects.filter(run=run).count()
    phone = [row for row in rows if row["kind"] == "contacts" and row["channel"] == "phone"]
    stored = VolumeForecast.objects.get(run=run, kind="contacts", channel="phone", day=storm)
    [stormy] = [row for row in phone if row["day"] == storm.isoformat()]
    assert stormy["multiplier"] == "4" and float(stormy["adjusted"]) == pytest.approx(4 * stored.expected, abs=0.1)
    assert float(stormy["forecast"]) == pytest.approx(stored.expected, abs=0.1)


@pytest.mark.parametrize("role", sorted(set(STAFF_ROLES) - SEE))
def test_the_roles_refused(client, run, role):
    client.force_login(staff_in_role(role))
    with time_machine.travel(NOW, tick=False):
        for response in (
            client.get(PAGE),
            client.get(CSV),
            client.post(
                ADJUST, {"first_day": "2026-03-18", "last_day": "2026-03-18", "multiplier": "4", "reason": "x"}
            ),
            client.post(TARGET, {"answered_percent": "90", "answer_seconds": "20", "shrinkage_percent": "25"}),
        ):
            assert response.status_code == 403
    assert not ForecastAdjustment.objects.exists() and not StaffingTarget.objects.exists()


def test_leadership_sees_but_does_not_adjust(client, run):
    client.force_login(staff_in_role(StaffRole.LEADERSHIP))
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE)
        assert response.status_code == 200
        assert 'id="adjust-form"' not in response.content.decode()
        assert (
            client.post(
                ADJUST, {"first_day": "2026-03-18", "last_day": "2026-03-18", "multiplier": "4", "reason": "x"}
            ).status_code
            == 403
        )
        assert (
            client.post(
                TARGET, {"answered_percent": "90", "answer_seconds": "20", "shrinkage_percent": "25"}
            ).status_code
            == 403
        )
    assert not ForecastAdjustment.objects.exists()


def test_a_stranger_is_sent_to_sign_in(client, run):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
