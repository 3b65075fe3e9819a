"""Jurisdictions (a city, its county), their calendar and their neighborhoods.

Everything else (catalogue, departments, requests) belongs to one jurisdiction, so that one deployment
can serve a city and its county side by side.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except Exception as exc:
        raise ValidationError(_("%(zone)s is not a known time zone."), params={"zone": value}) from exc


def validate_geojson_polygon(value: object) -> None:
    if value in (None, "", {}):
        return
    try:
        geometry = shape(value)
    except Exception as exc:
        raise ValidationError(_("The boundary is not valid GeoJSON.")) from exc
    if geometry.geom_type not in {"Polygon", "MultiPolygon"} or not geometry.is_valid:
        raise ValidationError(_("The boundary must be a valid Polygon or MultiPolygon."))


def parse_weekdays(value: str) -> frozenset[int]:
    """ "0,1,2,3,4" → the weekdays Monday to Friday; ValueError for anything else."""
    days = frozenset(int(part) for part in value.split(",") if part.strip())
    if not days or not days <= set(range(7)):
        raise ValueError(value)
    return days


class Jurisdiction(models.Model):
    """A city or county served by this deployment; its Open311 `jurisdiction_id` is its domain."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    jurisdiction_id = models.CharField(
        _("Open311 jurisdiction id"), max_length=200, unique=True, help_text=_("The city's domain, e.g. phila.gov.")
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    # Bounds reject reports from outside the city before any polygon test.
    min_lat = models.FloatField(_("southern bound"))
    max_lat = models.FloatField(_("northern bound"))
    min_long = models.FloatField(_("western bound"))
    max_long = models.FloatField(_("eastern bound"))
    boundary = models.JSONField(
        _("boundary (GeoJSON)"),
        null=True,
        blank=True,
        validators=[validate_geojson_polygon],
        help_text=_("Optional; when set, a point must also lie inside it."),
    )
    # The business calendar that business-day SLAs are counted in.
    business_day_start = models.TimeField(_("business day starts"), default=dt.time(8, 30))
    business_day_end = models.TimeField(_("business day ends"), default=dt.time(17, 0))
    intake_cutoff = models.TimeField(
        _("daily intake cut-off"),
        default=dt.time(14, 0),
        help_text=_("Requests received after this time start their SLA clock on the next business day."),
    )
    working_weekdays = models.CharField(
        _("working weekdays"),
        max_length=13,
        default="0,1,2,3,4",
        help_text=_("Comma list of ISO weekday numbers less one: 0 is Monday, 6 is Sunday."),
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(
        _("contact phone"),
        max_length=40,
        blank=True,
        help_text=_("One number, or several separated by commas: 311, 215-686-8686."),
    )
    host = models.CharField(
        _("web host"),
        max_length=200,
        blank=True,
        help_text=_("The host name the public site answers on for this jurisdiction."),
    )
    is_default = models.BooleanField(_("default jurisdiction"), default=False)
    next_tracking_number = models.BigIntegerField(_("next tracking number"), default=10_000_001)
    # Off by default: what residents write may name them or their neighbours, so the city decides.
    publish_descriptions = models.BooleanField(
        # db_default: rows written by code that predates the column (a rolling deploy) still insert.
        _("publish descriptions in open data"),
        default=False,
        db_default=False,
        help_text=_("Adds what residents wrote about the problem to the public open-data export."),
    )

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_phones(self) -> list[str]:
        """The contact numbers, each on its own, so pages join them with "or" in the reader's language."""
        return [number.strip() for number in self.contact_phone.split(",") if number.strip()]

    def clean(self) -> None:
        bounds = (self.min_lat, self.max_lat, self.min_long, self.max_long)
        # A missing bound already has its own field error; compare only what is there.
        if None not in bounds and (self.min_lat >= self.max_lat or self.min_long >= self.max_long):
            raise ValidationError(_("Each bound must be smaller than its opposite."))
        try:
            parse_weekdays(self.working_weekdays)
        except ValueError as exc:
            raise ValidationError({"working_weekdays": _("Use numbers from 0 to 6.")}) from exc
        if self.business_day_start >= self.business_day_end:
            raise ValidationError({"business_day_end": _("The business day must end after it starts.")})
        if not self.business_day_start <= self.intake_cutoff <= self.business_day_end:
            raise ValidationError({"intake_cutoff": _("The cut-off must fall within the business day.")})
        if None not in bounds and not (
            -90 <= self.min_lat <= 90
            and -90 <= self.max_lat <= 90
            and -180 <= self.min_long <= 180
            and -180 <= self.max_long <= 180
        ):
            raise ValidationError(_("Latitudes lie between -90 and 90, longitudes between -180 and 180."))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def midnight(self, day: dt.date) -> dt.datetime:
        """The moment `day` begins in the city's zone."""
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.zone)

    def day_bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of a calendar day in the city's zone (23 or 25 hours long on DST days)."""
        return self.midnight(day), self.midnight(day + dt.timedelta(days=1))

    @property
    def weekday_numbers(self) -> frozenset[int]:
        return parse_weekdays(self.working_weekdays)

    @cached_property
    def boundary_shape(self) -> BaseGeometry | None:
        return shape(self.boundary) if self.boundary else None

    def contains(self, lat: float, long: float) -> bool:
        if not (self.min_lat <= lat <= self.max_lat and self.min_long <= long <= self.max_long):
            return False
        boundary = self.boundary_shape
        return boundary is None or boundary.covers(Point(long, lat))


class Holiday(models.Model):
    """A day the city's departments are closed: it never counts as a business day."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "date"], name="one_holiday_a_day")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class Neighborhood(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="neighborhoods")
    slug = models.SlugField(_("slug"))
    name = models.CharField(_("name"), max_length=120)
    boundary = models.JSONField(_("boundary (GeoJSON)"), validators=[validate_geojson_polygon])

    class Meta:
        verbose_name = _("neighborhood")
        verbose_name_plural = _("neighborhoods")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "slug"], name="unique_neighborhood_slug"),
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def boundary_shape(self) -> BaseGeometry:
        return shape(self.boundary)


class StreetSegment(models.Model):
    """A stretch of a named street (a centreline from the city's street file, `manage.py import_streets`),
    so that an address or an intersection written in a message can be placed on the map
    (text_intelligence.places)."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="street_segments")
    name = models.CharField(_("name"), max_length=120)  # as the city writes it: "N 5th St", "Lehigh Ave"
    # The name folded for matching (lower case, no accents, no direction or suffix): "5th", "lehigh".
    key = models.CharField(max_length=120, db_index=True, editable=False)
    # GeoJSON LineString coordinates, [long, lat] pairs, in the order house numbers run.
    line = models.JSONField(_("line (GeoJSON coordinates)"))
    # The house numbers at the line's first and last point, when the street file has them.
    from_number = models.PositiveIntegerField(_("first house number"), null=True, blank=True)
    to_number = models.PositiveIntegerField(_("last house number"), null=True, blank=True)

    class Meta:
        verbose_name = _("street segment")
        verbose_name_plural = _("street segments")
        ordering = ["key", "from_number", "pk"]
        indexes = [models.Index(fields=["jurisdiction", "key"], name="street_segment_key")]

    def __str__(self) -> str:
        return self.name


class ServiceDesk(models.Model):
    """A counter where residents walk in (Philly311's is in City Hall, room 167); walk-in contacts record it."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="service_desks")
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("service desk")
        verbose_name_plural = _("service desks")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "name"], name="unique_service_desk_name")]

    def __str__(self) -> str:
        return self.name


class AddressPoint(models.Model):
    """One address of the city and where it is (the city's address file, `manage.py load_address_points`):
    what the default geocoder (`jurisdictions.geocoding`) places a typed address with, and what a dropped
    pin is named by."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="address_points")
    address = models.CharField(_("address"), max_length=200)  # as the city writes it: "1400 John F Kennedy Blvd"
    # The address folded for matching (geocoding.normalize_address): "1400 john f kennedy blvd".
    key = models.CharField(max_length=200, editable=False)
    house_number = models.PositiveIntegerField(_("house number"), null=True, blank=True)
    # The street's name folded as StreetSegment.key is: "john f kennedy".
    street_key = models.CharField(max_length=120, editable=False)
    lat = models.FloatField(_("latitude"))
    long = models.FloatField(_("longitude"))
    # Resolution 9, as `selectors.h3_cell` (the nearest address to a point is looked for in its cell and around).
    h3_cell = models.CharField(max_length=16, db_index=True, editable=False)
    zipcode = models.CharField(_("ZIP code"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("address point")
        verbose_name_plural = _("address points")
        ordering = ["street_key", "house_number", "pk"]
        indexes = [
            # The operator classes (PostgreSQL only; other databases leave them out) let LIKE 'prefix%' use the
            # index: autocomplete looks addresses up by how they begin (geocoding.suggest).
            models.Index(
                fields=["jurisdiction", "key"], name="address_point_key", opclasses=["int8_ops", "varchar_pattern_ops"]
            ),
            models.Index(
                fields=["jurisdiction", "street_key", "house_number"],
                name="address_point_street",
                opclasses=["int8_ops", "varchar_pattern_ops", "int4_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.address
