"""The search analytics: a log row per search, click, article view and "did this help?" answer, and the daily
rollups the staff page reads (updated in the same transaction as each log row, never rebuilt from the log).

Nothing personal is stored: no IP address, no user agent, no account. `visitor` is a keyed hash of the
random `civic311_visitor` cookie (see `civic311.insights.middleware`), only good for telling one browser's
searches, reads and filings apart.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

QUERY_LENGTH = 200
VISITOR_LENGTH = 32
# A reading session ends a day after its first article view: deflected unless the visitor filed meanwhile.
SESSION_HOURS = 24


class Channel(models.TextChoices):
    WEB = "web", _("Public web site")
    CONSOLE = "console", _("Agent console")
    API = "api", _("API")


class SearchLog(models.Model):
    """One search as typed (trimmed), with the normalized form the rollups group by."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+", verbose_name=_("jurisdiction")
    )
    query = models.CharField(_("query"), max_length=QUERY_LENGTH)
    normalized = models.CharField(_("normalized query"), max_length=QUERY_LENGTH)
    language = models.CharField(_("language"), max_length=12)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    result_count = models.PositiveIntegerField(_("results"))
    visitor = models.CharField(_("visitor"), max_length=VISITOR_LENGTH, blank=True)
    at = models.DateTimeField(_("searched at"))
    # The day in the city's zone: the rollup row this search (and its clicks) counts in.
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("search")
        verbose_name_plural = _("searches")

    def __str__(self) -> str:
        return self.query


class SearchClick(models.Model):
    """The searcher opened an article from the results (once per search and article)."""

    search = models.ForeignKey(SearchLog, on_delete=models.CASCADE, related_name="clicks", verbose_name=_("search"))
    article = models.ForeignKey(
        "knowledge.Article", on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    at = models.DateTimeField(_("clicked at"))

    class Meta:
        verbose_name = _("search click")
        verbose_name_plural = _("search clicks")
        constraints = [models.UniqueConstraint(fields=["search", "article"], name="insights_click_once")]

    def __str__(self) -> str:
        return f"{self.search_id} → {self.article_id}"


class ArticleView(models.Model):
    article = models.ForeignKey(
        "knowledge.Article", on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    language = models.CharField(_("language"), max_length=12)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    visitor = models.CharField(_("visitor"), max_length=VISITOR_LENGTH, blank=True)
    at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("article view")
        verbose_name_plural = _("article views")

    def __str__(self) -> str:
        return f"{self.article_id} {self.at:%Y-%m-%d %H:%M}"


class ArticleFeedback(models.Model):
    """A "did this help?" answer. A visitor's first answer of the day on an article counts; repeats do not."""

    article = models.ForeignKey(
        "knowledge.Article", on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    helpful = models.BooleanField(_("helpful"))
    language = models.CharField(_("language"), max_length=12)
    visitor = models.CharField(_("visitor"), max_length=VISITOR_LENGTH, blank=True)
    at = models.DateTimeField(_("answered at"))
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "visitor", "day"], condition=~Q(visitor=""), name="insights_feedback_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'yes' if self.helpful else 'no'} {self.day}"


class ReadingSession(models.Model):
    """A visitor's first article view and what followed within a day: a filed request, or nothing
    (deflected). One open session per visitor; the hourly sweep closes the ones older than a day."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        FILED = "filed", _("Filed a request")
        DEFLECTED = "deflected", _("Deflected")

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+", verbose_name=_("jurisdiction")
    )
    visitor = models.CharField(_("visitor"), max_length=VISITOR_LENGTH)
    article = models.ForeignKey(
        "knowledge.Article", on_delete=models.CASCADE, related_name="+", verbose_name=_("first article read")
    )
    started_at = models.DateTimeField(_("started at"))
    day = models.DateField(_("day"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reading session")
        verbose_name_plural = _("reading sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "visitor"], condition=Q(state="open"), name="insights_one_open_session"
            )
        ]
        indexes = [models.Index(fields=["started_at"], condition=Q(state="open"), name="insights_open_sessions")]

    def __str__(self) -> str:
        return f"{self.day} {self.state}"


# --- the rollups the staff page reads -----------------------------------------------------------------------


class DailyQueryStat(models.Model):
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+", verbose_name=_("jurisdiction")
    )
    day = models.DateField(_("day"))
    query = models.CharField(_("normalized query"), max_length=QUERY_LENGTH)
    language = models.CharField(_("language"), max_length=12)
    searches = models.PositiveIntegerField(_("searches"), default=0)
    zero_results = models.PositiveIntegerField(_("searches with no result"), default=0)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)

    class Meta:
        verbose_name = _("daily query statistic")
        verbose_name_plural = _("daily query statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "day", "query", "language"], name="insights_query_day_unique"
            )
        ]
        # The editors' work list reads only the days' rows that found nothing.
        indexes = [
            models.Index(
                fields=["jurisdiction", "day"], condition=Q(zero_results__gt=0), name="insights_query_zero_days"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.query} ({self.language})"


class DailySearchTotal(models.Model):
    """Per city and day: all searches (the page's totals read one row a day, not every query's)."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+", verbose_name=_("jurisdiction")
    )
    day = models.DateField(_("day"))
    searches = models.PositiveIntegerField(_("searches"), default=0)
    zero_results = models.PositiveIntegerField(_("searches with no result"), default=0)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)

    class Meta:
        verbose_name = _("daily search total")
        verbose_name_plural = _("daily search totals")
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "day"], name="insights_total_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.searches}"


class DailyArticleStat(models.Model):
    """Per article and day: views, answers, and the reading sessions it started (counted when they end)."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+", verbose_name=_("jurisdiction")
    )
    day = models.DateField(_("day"))
    article = models.ForeignKey(
        "knowledge.Article", on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    views = models.PositiveIntegerField(_("views"), default=0)
    helpful_yes = models.PositiveIntegerField(_("helpful: yes"), default=0)
    helpful_no = models.PositiveIntegerField(_("helpful: no"), default=0)
    sessions = models.PositiveIntegerField(_("ended reading sessions"), default=0)
    deflected_sessions = models.PositiveIntegerField(_("deflected sessions"), default=0)

    class Meta:
        verbose_name = _("daily article statistic")
        verbose_name_plural = _("daily article statistics")
        constraints = [models.UniqueConstraint(fields=["article", "day"], name="insights_article_day_unique")]
        indexes = [models.Index(fields=["jurisdiction", "day"], name="insights_article_days")]

    def __str__(self) -> str:
        return f"{self.day} {self.article_id}"


# --- the reader board's wall screens ------------------------------------------------------------------------


class DisplayScreen(models.Model):
    """A wall screen that shows the reader board without signing in, through its own display link.

    Only a SHA-256 hash of the link's random token is kept: the link is shown once, when the screen is
    created, and a leaked database gives no working link. Revoking ends the link for good."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+", verbose_name=_("jurisdiction")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_('Where it hangs, e.g. "Call floor, north wall".'))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("display screen")
        verbose_name_plural = _("display screens")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


# --- forecasts and staffing (issue 20) ---------------------------------------------------------------------


class ForecastKind(models.TextChoices):
    CONTACTS = "contacts", _("Contacts")
    REQUESTS = "requests", _("Service requests")


class ForecastRun(models.Model):
    """One night's forecast for a city: when it was made, the history it was fitted on, what it measured
    (handle time, the half-hour shape of each channel's day) and its backtest error. Its days are
    `VolumeForecast` rows; the page reads the newest run and never fits anything itself."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+", verbose_name=_("jurisdiction")
    )
    made_at = models.DateTimeField(_("made at"))
    history_first = models.DateField(_("history from"))
    history_last = models.DateField(_("history to"))
    first_day = models.DateField(_("first day forecast"))
    last_day = models.DateField(_("last day forecast"))
    # Phone contacts of the last weeks: mean and median handle time in seconds (None without calls).
    handle_mean_seconds = models.FloatField(_("mean handle time (s)"), null=True)
    handle_median_seconds = models.FloatField(_("median handle time (s)"), null=True)
    # {"contacts:phone": [[share of each of the 48 half hours] for Monday … Sunday], ...}
    profiles = models.JSONField(_("half-hour profiles"), default=dict)
    # {"contacts": {"model": wape, "baseline": wape, "days": n}, "requests": {...}}
    backtest = models.JSONField(_("backtest error"), default=dict)

    class Meta:
        verbose_name = _("forecast run")
        verbose_name_plural = _("forecast runs")
        indexes = [models.Index(fields=["jurisdiction", "-made_at"], name="insights_forecast_run_idx")]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id} {self.made_at:%Y-%m-%d %H:%M}"


class VolumeForecast(models.Model):
    """The expected count of one series on one local day: all contacts or requests (channel "" and no
    service), one channel's, or one service's."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="days", verbose_name=_("run"))
    kind = models.CharField(_("kind"), max_length=10, choices=ForecastKind.choices)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    day = models.DateField(_("day"))
    expected = models.FloatField(_("expected"))
    low = models.FloatField(_("low (80 %)"))
    high = models.FloatField(_("high (80 %)"))

    class Meta:
        verbose_name = _("volume forecast")
        verbose_name_plural = _("volume forecasts")
        indexes = [models.Index(fields=["run", "kind", "channel", "day"], name="insights_forecast_day_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel or '*'} {self.day} {self.expected:.0f}"


class ForecastAdjustment(models.Model):
    """A supervisor's emergency adjustment: every forecast of the days from `first_day` to `last_day`
    multiplied by `multiplier` when shown (a storm emergency: 4 times). Kept when withdrawn, with who and when."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+", verbose_name=_("jurisdiction")
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("made by")
    )
    made_at = models.DateTimeField(_("made at"))
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("forecast adjustment")
        verbose_name_plural = _("forecast adjustments")
        indexes = [models.Index(fields=["jurisdiction", "last_day"], name="insights_adjustment_idx")]

    def __str__(self) -> str:
        return f"x{self.multiplier} {self.first_day} to {self.last_day}"


class StaffingTarget(models.Model):
    """A city's service level target (a share of calls answered within so many seconds) and shrinkage
    (the share of paid time agents are off the phones: breaks, training, meetings)."""

    jurisdiction = models.OneToOneField(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+", verbose_name=_("jurisdiction")
    )
    answered_share = models.DecimalField(_("share of calls answered in time"), max_digits=4, decimal_places=3)
    answer_seconds = models.PositiveIntegerField(_("answered within (seconds)"))
    shrinkage = models.DecimalField(_("shrinkage"), max_digits=4, decimal_places=3)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("updated by")
    )
    updated_at = models.DateTimeField(_("updated at"), null=True)

    class Meta:
        verbose_name = _("staffing target")
        verbose_name_plural = _("staffing targets")

    def __str__(self) -> str:
        return f"{self.answered_share:.0%} in {self.answer_seconds}s"


# --- customer journeys: the centre-wide figures (computed by `console.journey_snapshots`) -----------------


class JourneySnapshot(models.Model):
    """A city's customer-journey figures for one month (`month` is its first day, in the city's zone)."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        on_delete=models.CASCADE,
        related_name="journey_snapshots",
        verbose_name=_("jurisdiction"),
    )
    month = models.DateField(_("month"))
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)
    # Contacts of known customers in the month, and those that repeated an earlier one about the same
    # problem within 7 days.
    contacts = models.PositiveIntegerField(_("contacts of known customers"), default=0)
    repeat_contacts = models.PositiveIntegerField(_("repeat contacts"), default=0)
    # First contacts (not repeats) that ended with an answer or a request, and those resolved at once: no
    # repeat contact within 7 days after and no reopening of the request they filed.
    first_contacts = models.PositiveIntegerField(_("first contacts"), default=0)
    resolved_first_time = models.PositiveIntegerField(_("resolved at the first contact"), default=0)
    # {"paths": [...], "branches": [...], "satisfaction": [...], "requests": n, "open": n}: codes, not words,
    # so the page shows them in the reader's language.
    figures = models.JSONField(_("figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("customer-journey snapshot")
        verbose_name_plural = _("customer-journey snapshots")
        ordering = ["-month"]
        # Made by the console's journeys in their first release, so the table keeps the console's name.
        db_table = "console_journeysnapshot"
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "month"], name="one_journey_snapshot_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id} {self.month:%Y-%m}"

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat_contacts / self.contacts * 100 if self.contacts else None

    @property
    def first_contact_resolution(self) -> float | None:
        return self.resolved_first_time / self.first_contacts * 100 if self.first_contacts else None


# --- operations figures: the rollups behind the operations dashboard and the leadership report ------------
# Counted from the requests (private ones too: these are staff pages) by `operations_rollups`: a rebuild and a
# sweep that recounts only the buckets whose requests changed, so no page ever counts the requests table.

# Hours within which a request was closed, as cumulative columns `closed_within_<label>`: a median or a 90th
# percentile over any set of rows is a SUM per column and an interpolation, never a read of the requests.
CLOSE_THRESHOLDS: tuple[tuple[str, int], ...] = (
    ("1h", 1),
    ("4h", 4),
    ("1d", 24),
    ("2d", 48),
    ("3d", 72),
    ("5d", 120),
    ("7d", 168),
    ("10d", 240),
    ("14d", 336),
    ("21d", 504),
    ("30d", 720),
    ("60d", 1440),
    ("90d", 2160),
)


class RequestCohort(models.Model):
    """The figures of a set of requests *filed* in one period (a cohort): a request counts in the bucket of
    its filing day for ever, whatever happens to it later, so a sweep recounts exactly the buckets it
    touched."""

    jurisdiction = models.ForeignKey("jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("catalogue.Department", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalogue.Service", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20)
    filed = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_with_due_date = models.PositiveIntegerField(default=0)
    closed_on_time = models.PositiveIntegerField(default=0)
    # Requests closed and opened again at least once (a status change from a final state to an open one).
    reopened = models.PositiveIntegerField(default=0)
    closed_within_1h = models.PositiveIntegerField(default=0)
    closed_within_4h = models.PositiveIntegerField(default=0)
    closed_within_1d = models.PositiveIntegerField(default=0)
    closed_within_2d = models.PositiveIntegerField(default=0)
    closed_within_3d = models.PositiveIntegerField(default=0)
    closed_within_5d = models.PositiveIntegerField(default=0)
    closed_within_7d = models.PositiveIntegerField(default=0)
    closed_within_10d = models.PositiveIntegerField(default=0)
    closed_within_14d = models.PositiveIntegerField(default=0)
    closed_within_21d = models.PositiveIntegerField(default=0)
    closed_within_30d = models.PositiveIntegerField(default=0)
    closed_within_60d = models.PositiveIntegerField(default=0)
    closed_within_90d = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class RequestDay(RequestCohort):
    """The requests of one service, department and channel filed on one day of the city's calendar."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("requests of a day")
        verbose_name_plural = _("requests by day")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "day", "service", "department", "channel"], name="unique_request_day"
            ),
        ]
        indexes = [models.Index(fields=["jurisdiction", "day"], name="request_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.service_id} {self.channel}: {self.filed}"


class RequestMonth(RequestCohort):
    """The requests of one service, department, channel and neighborhood filed in one month (the
    neighborhood's figures: a day-by-neighborhood table would hold nearly a row per request)."""

    month = models.DateField(_("month"))  # its first day, in the city's time zone
    # Empty: the requests that fall in no neighborhood.
    neighborhood = models.ForeignKey(
        "jurisdictions.Neighborhood", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("requests of a month")
        verbose_name_plural = _("requests by month")
        indexes = [models.Index(fields=["jurisdiction", "month"], name="request_month_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.neighborhood_id or '-'} {self.service_id}: {self.filed}"


class OpenRequests(models.Model):
    """The requests open now of one service, department, channel and neighborhood, by age."""

    jurisdiction = models.ForeignKey("jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("catalogue.Department", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalogue.Service", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20)
    neighborhood = models.ForeignKey(
        "jurisdictions.Neighborhood", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    open_requests = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    # By age in days: [0, 7), [7, 30), [30, 90), 90 or more (the neighborhood pages' buckets).
    aged_under_7d = models.PositiveIntegerField(default=0)
    aged_7_to_30d = models.PositiveIntegerField(default=0)
    aged_30_to_90d = models.PositiveIntegerField(default=0)
    aged_over_90d = models.PositiveIntegerField(default=0)
    counted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("open requests")
        verbose_name_plural = _("open requests")
        indexes = [models.Index(fields=["jurisdiction", "department"], name="open_requests_idx")]

    def __str__(self) -> str:
        return f"{self.department_id} {self.service_id} {self.channel}: {self.open_requests}"


class OperationsWatermark(models.Model):
    """How far a city's operations figures are counted: requests changed after `counted_through` are not yet."""

    jurisdiction = models.OneToOneField("jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+")
    counted_through = models.DateTimeField()
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    swept_at = models.DateTimeField(null=True, blank=True)  # the pages' "figures as of"

    def __str__(self) -> str:
        return f"{self.jurisdiction_id}: {self.counted_through:%Y-%m-%d %H:%M}"
