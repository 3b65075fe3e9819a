"""The Neighborhood Liaison Program's figures for leadership: liaisons over time by status, by neighborhood
and by language, and the requests liaisons filed with their outcomes. One `ProgrammeFigures` feeds the page,
the PDF and the CSV.

Liaisons over time: the status of every person in the program at the end of each of the last 24 months
of the city's calendar (the current month's "end" is now: figures so far). For a month ending at moment E
(midnight starting the next month, in the city's time zone) and the day D that E begins:

- **applied**: in the pipeline, not yet trained. An application received before E that was not decided
  before E (`LiaisonApplication.created_at < E`, and still pending or `decided_at >= E`), plus every
  accepted liaison not yet trained and not withdrawn at E (`joined_at < E`, no `trained_at` before E, no
  `withdrawn_at` before E). Declined applications count only while they were waiting.
- **trained**: everyone who completed the initial training before E (`trained_at < E`), whatever happened
  to them since: the program's running total of trained residents (Philadelphia's "600 to 1,200").
- **active**: trained before E, not withdrawn before E and not lapsed at E.
- **lapsed**: trained before E, not withdrawn before E, and lapsed at E: `lapsed_at < E`, or a refresher due
  before D (`refresher_due_on < D`, i.e. due on or before the month's last day), marked lapsed yet or not.
- **withdrawn**: left the program before E (`withdrawn_at < E`), trained or not.

So trained = active + lapsed + those withdrawn after training, at every month end. The dates are the ones
on the rows now: a liaison refreshed after lapsing (whose `lapsed_at` was cleared) counts as active in the
months they were lapsed; the current `refresher_due_on` stands for the earlier ones, which only matters for
a refresher overdue today.

By neighborhood and by language: the liaisons now, by their current status (a liaison of two neighborhoods
counts in both; one speaking three languages in all three), not counting the withdrawn.

Requests filed by liaisons (`LiaisonFiling`), by the month of `filed_at` in the city's calendar, over the
same 24 months, and what became of them by now:

- **open**: the request has no `closed_at`; **closed**: it has one (closed, or ended as a duplicate,
  referral or cancellation);
- **closed on time**: closed at or before its `expected_at`; the on-time rate is of the closed requests that
  had an `expected_at` (closed without a due date are neither on time nor late);
- **median days to close**: the median of `closed_at - requested_at`, in days (one decimal), of the closed.

Speed: four queries whatever the size: the applications' and liaisons' dates (a few thousand rows, counted
here for all 24 month ends at once), the neighborhood counts grouped in the database, and the window's
filings as five columns each (50,000 filings take well under a second).
"""

from __future__ import annotations

import datetime as dt
import statistics
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf.locale import LANG_INFO
from django.db.models import Count, F
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civic311.catalogue.models import Service
from civic311.community.services.rollups import next_month
from civic311.jurisdictions.models import Jurisdiction

from ..models import Liaison, LiaisonApplication, LiaisonFiling
from ..services import applications

MONTHS = 24
STATUSES = ("applied", "trained", "active", "lapsed", "withdrawn")


def status_labels() -> dict[str, str]:
    return {
        "applied": _("Applied, not yet trained"),
        "trained": _("Trained (all time)"),
        "active": pgettext("liaisons, a count", "Active"),
        "lapsed": _("Lapsed"),
        "withdrawn": _("Withdrawn"),
    }


@dataclass(frozen=True)
class StatusMonth:
    """How many people were in each status at the end of one month."""

    month: dt.date  # its first day
    end: dt.datetime
    is_partial: bool
    applied: int
    trained: int
    active: int
    lapsed: int
    withdrawn: int

    @property
    def label(self) -> str:
        return formats.date_format(self.month, "YEAR_MONTH_FORMAT")

    def count(self, status: str) -> int:
        return int(getattr(self, status))


@dataclass
class Outcomes:
    """Requests filed by liaisons and what became of them."""

    label: str
    filed: int = 0
    closed: int = 0
    closed_with_due_date: int = 0
    closed_on_time: int = 0
    days: list[float] = field(default_factory=list, repr=False)

    @property
    def open(self) -> int:
        return self.filed - self.closed

    @property
    def on_time_percent(self) -> float | None:
        return self.closed_on_time / self.closed_with_due_date * 100 if self.closed_with_due_date else None

    @property
    def median_days(self) -> float | None:
        return round(statistics.median(self.days), 1) if self.days else None

    def add(self, closed_at: dt.datetime | None, requested_at: dt.datetime, expected_at: dt.datetime | None) -> None:
        self.filed += 1
        if closed_at is None:
            return
        self.closed += 1
        self.days.append(max((closed_at - requested_at).total_seconds(), 0) / 86_400)
        if expected_at is not None:
            self.closed_with_due_date += 1
            self.closed_on_time += closed_at <= expected_at


@dataclass(frozen=True)
class CurrentRow:
    """One neighborhood's or language's liaisons now."""

    key: str
    label: str
    awaiting_training: int
    active: int
    lapsed: int

    @property
    def total(self) -> int:
        return self.awaiting_training + self.active + self.lapsed


@dataclass
class ProgrammeFigures:
    jurisdiction: Jurisdiction
    generated: dt.datetime
    months: list[StatusMonth]  # oldest first, ending with the current month (figures so far)
    by_neighborhood: list[CurrentRow]
    by_language: list[CurrentRow]
    filings_by_month: list[Outcomes]  # oldest first, the same months
    filings_by_service: list[Outcomes]  # most filed first
    filings_total: Outcomes

    @property
    def now(self) -> StatusMonth:
        return self.months[-1]

    @property
    def year_ago(self) -> StatusMonth:
        return self.months[-13] if len(self.months) >= 13 else self.months[0]

    @property
    def first(self) -> StatusMonth:
        return self.months[0]

    @property
    def peak(self) -> int:
        """The largest count in the status table (the bar charts' full width)."""
        return max((month.count(status) for month in self.months for status in STATUSES), default=0) or 1

    @property
    def filings_peak(self) -> int:
        return max((row.filed for row in self.filings_by_month), default=0) or 1


# --- months ------------------------------------------------------------------------------------------------


def month_starts(today: dt.date, count: int = MONTHS) -> list[dt.date]:
    """The first days of the `count` months ending with the one `today` is in, oldest first."""
    year, month = today.year, today.month
    starts = []
    for _step in range(count):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


# --- liaisons over time ------------------------------------------------------------------------------------


class _Moments:
    """Sorted moments, to count how many fall before a month's end by bisection."""

    def __init__(self, moments: list[dt.datetime | None]) -> None:
        self.sorted = sorted(moment for moment in moments if moment is not None)

    def before(self, end: dt.datetime) -> int:
        return bisect_left(self.sorted, end)


def _later(first: dt.datetime | None, second: dt.datetime | None) -> dt.datetime | None:
    """When both have happened (None: not both yet)."""
    return None if first is None or second is None else max(first, second)


def _earlier(first: dt.datetime | None, second: dt.datetime | None) -> dt.datetime | None:
    """When the first of the two happened (None: neither)."""
    return min((moment for moment in (first, second) if moment is not None), default=None)


def _status_months(jurisdiction: Jurisdiction, starts: list[dt.date], now: dt.datetime) -> list[StatusMonth]:
    """Each status at each month's end, counted by bisecting the sorted dates (see the module's definitions):
    a count "at E" is how many moments fall before E, so each month costs a few bisections, whatever the size.
    A refresher due on day R makes its liaison lapsed from the midnight that ends R: a month's end at or
    after it (R before D), or now when R is before today."""
    applications = list(
        LiaisonApplication.objects.filter(jurisdiction=jurisdiction, created_at__lt=now).values_list(
            "created_at", "decided_at", "status"
        )
    )
    # Pending from created_at until decided_at (a decided one without its date was never counted pending).
    waiting = [
        (created_at, decided_at)
        for created_at, decided_at, status in applications
        if decided_at is not None or status == LiaisonApplication.Status.PENDING
    ]
    received = _Moments([created_at for created_at, _decided_at in waiting])
    decided = _Moments([decided_at for _created_at, decided_at in waiting])
    liaisons = list(
        Liaison.objects.filter(jurisdiction=jurisdiction).values_list(
            "joined_at", "trained_at", "lapsed_at", "withdrawn_at", "refresher_due_on"
        )
    )
    tick = dt.timedelta(microseconds=1)
    lapse: list[dt.datetime | None] = []
    for _joined_at, trained_at, lapsed_at, _withdrawn_at, due_on in liaisons:
        if trained_at is None:
            lapse.append(None)
        else:
            # Lapsed from the end of the refresher's due day, whether or not the sweep has marked it yet (it
            # marks a few hours later: a refresher due on a month's last day must not move from "lapsed" to
            # "active" in that month once marked).
            due_end = jurisdiction.midnight(due_on + dt.timedelta(days=1)) - tick if due_on is not None else None
            lapse.append(_earlier(lapsed_at, due_end))
    joined = _Moments([row[0] for row in liaisons])
    left_pipeline = _Moments([_earlier(row[1], row[3]) for row in liaisons])
    trained = _Moments([row[1] for row in liaisons])
    withdrawn = _Moments([row[3] for row in liaisons])
    withdrawn_trained = _Moments([_later(row[1], row[3]) for row in liaisons])
    lapsed = _Moments(lapse)
    lapsed_then_withdrawn = _Moments([_later(moment, row[3]) for moment, row in zip(lapse, liaisons, strict=True)])

    months = []
    for start in starts:
        end = jurisdiction.midnight(next_month(start))
        partial = end > now
        end = min(end, now)
        applied = received.before(end) - decided.before(end) + joined.before(end) - left_pipeline.before(end)
        lapsed_now = lapsed.before(end) - lapsed_then_withdrawn.before(end)
        trained_now = trained.before(end)
        active = trained_now - withdrawn_trained.before(end) - lapsed_now
        months.append(StatusMonth(start, end, partial, applied, trained_now, active, lapsed_now, withdrawn.before(end)))
    return months


def _current_rows(counts: dict[tuple[str, str], Counter[str]]) -> list[CurrentRow]:
    rows = [
        CurrentRow(
            key=key,
            label=label,
            awaiting_training=counter[Liaison.Status.ACCEPTED],
            active=counter[Liaison.Status.ACTIVE],
            lapsed=counter[Liaison.Status.LAPSED],
        )
        for (key, label), counter in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row.active, -row.total, row.label))


def _by_neighborhood(jurisdiction: Jurisdiction) -> list[CurrentRow]:
    through = Liaison.neighborhoods.through
    grouped = (
        through.objects.filter(liaison__jurisdiction=jurisdiction)
        .exclude(liaison__status=Liaison.Status.WITHDRAWN)
        .values("neighborhood_id", name=F("neighborhood__name"), status=F("liaison__status"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in grouped:
        counts[(str(row["neighborhood_id"]), str(row["name"]))][str(row["status"])] += int(row["n"])
    return _current_rows(counts)


def language_name(code: str) -> str:
    """The language's name: the application form's list first (`services.applications`), then Django's."""
    named = applications.language_name(code)
    if named != code:
        return named
    info = LANG_INFO.get(code)
    return _(str(info["name"])) if info and "name" in info else code


def _by_language(jurisdiction: Jurisdiction) -> list[CurrentRow]:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    rows = (
        Liaison.objects.filter(jurisdiction=jurisdiction)
        .exclude(status=Liaison.Status.WITHDRAWN)
        .values_list("languages", "status")
    )
    for languages, status in rows:
        for code in {str(code) for code in languages or ()}:
            counts[(code, language_name(code))][status] += 1
    return _current_rows(counts)


# --- requests filed by liaisons ------------------------------------------------------------------------------


def _filings(
    jurisdiction: Jurisdiction, starts: list[dt.date], now: dt.datetime
) -> tuple[list[Outcomes], list[Outcomes], Outcomes]:
    bounds = [jurisdiction.midnight(start) for start in starts]
    by_month = [Outcomes(label=formats.date_format(start, "YEAR_MONTH_FORMAT")) for start in starts]
    by_service: dict[int, Outcomes] = {}
    total = Outcomes(label=_("All requests filed by liaisons"))
    rows = (
        LiaisonFiling.objects.filter(liaison__jurisdiction=jurisdiction, filed_at__gte=bounds[0], filed_at__lt=now)
        .order_by()
        .values_list(
            "filed_at",
            "service_request__service_id",
            "service_request__requested_at",
            "service_request__closed_at",
            "service_request__expected_at",
        )
    )
    for filed_at, service_id, requested_at, closed_at, expected_at in rows.iterator(chunk_size=5_000):
        index = bisect_right(bounds, filed_at) - 1
        by_month[index].add(closed_at, requested_at, expected_at)
        if service_id not in by_service:
            by_service[service_id] = Outcomes(label="")
        by_service[service_id].add(closed_at, requested_at, expected_at)
        total.add(closed_at, requested_at, expected_at)
    # In the reader's language, as the neighborhood pages and the public form name the services.
    names = {
        service.pk: service.localized("name")
        for service in Service.objects.filter(pk__in=list(by_service)).only("pk", "name", "translations")
    }
    for service_id, outcomes in by_service.items():
        outcomes.label = str(names.get(service_id, "?"))
    services = sorted(by_service.values(), key=lambda outcomes: (-outcomes.filed, outcomes.label))
    return by_month, services, total


def programme_figures(jurisdiction: Jurisdiction, *, now: dt.datetime | None = None) -> ProgrammeFigures:
    """The program's figures for the 24 months ending with the current one."""
    now = now or timezone.now()
    starts = month_starts(timezone.localdate(now, jurisdiction.zone))
    by_month, by_service, total = _filings(jurisdiction, starts, now)
    return ProgrammeFigures(
        jurisdiction=jurisdiction,
        generated=now,
        months=_status_months(jurisdiction, starts, now),
        by_neighborhood=_by_neighborhood(jurisdiction),
        by_language=_by_language(jurisdiction),
        filings_by_month=by_month,
        filings_by_service=by_service,
        filings_total=total,
    )


# --- CSV -------------------------------------------------------------------------------------------------------


def _number(value: float | None) -> str | float:
    return "" if value is None else round(value, 1)


def csv_rows(figures: ProgrammeFigures) -> Iterator[list[object]]:
    """Every table of the figures in one sheet: a section column, then the table's own columns."""
    labels = status_labels()
    yield [_("Section"), _("Row"), *[labels[status] for status in STATUSES]]
    for month in figures.months:
        yield [_("Liaisons at the month's end"), f"{month.month:%Y-%m}", *[month.count(s) for s in STATUSES]]
    yield []
    yield [_("Section"), _("Row"), _("Awaiting training"), labels["active"], _("Lapsed"), _("Total")]
    for section, rows in ((_("By neighborhood"), figures.by_neighborhood), (_("By language"), figures.by_language)):
        for row in rows:
            yield [section, row.label, row.awaiting_training, row.active, row.lapsed, row.total]
    yield []
    yield [
        _("Section"),
        _("Row"),
        _("Filed"),
        _("Open"),
        _("Closed"),
        _("Closed on time"),
        _("Closed with a due date"),
        _("On time (%)"),
        _("Median days to close"),
    ]
    sections = (
        *(
            (_("Requests filed by liaisons, by month"), f"{start:%Y-%m}", outcomes)
            for start, outcomes in zip((m.month for m in figures.months), figures.filings_by_month, strict=True)
        ),
        *(
            (_("Requests filed by liaisons, by service"), outcomes.label, outcomes)
            for outcomes in figures.filings_by_service
        ),
        (_("Requests filed by liaisons"), figures.filings_total.label, figures.filings_total),
    )
    for section, label, outcomes in sections:
        yield [
            section,
            label,
            outcomes.filed,
            outcomes.open,
            outcomes.closed,
            outcomes.closed_on_time,
            outcomes.closed_with_due_date,
            _number(outcomes.on_time_percent),
            _number(outcomes.median_days),
        ]
