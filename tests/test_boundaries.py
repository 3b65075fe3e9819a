"""`manage.py load_boundaries` and `add_jurisdiction`: a city's outline and neighborhoods from GeoJSON files."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction, Neighborhood

from .factories import JurisdictionFactory, NeighborhoodFactory, ServiceFactory, box, filed_request

pytestmark = pytest.mark.django_db

# Springfield: a 0.1° square; West, East and a small Downtown inside it.
CITY = box(-89.70, 39.75, -89.60, 39.85)
WEST = box(-89.70, 39.75, -89.65, 39.85)
EAST = box(-89.65, 39.75, -89.60, 39.85)


def feature(geometry: dict, **properties) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def geojson(tmp_path, *features: dict, name: str = "areas.geojson", **extra) -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features), **extra}), encoding="utf-8")
    return str(path)


def load(path: str, **options) -> str:
    out = io.StringIO()
    call_command("load_boundaries", path, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def springfield(db):
    return JurisdictionFactory(
        slug="springfield",
        name="Springfield",
        jurisdiction_id="springfield.gov",
        time_zone="America/Chicago",
        min_lat=39.0,
        max_lat=40.5,
        min_long=-90.5,
        max_long=-89.0,
        is_default=False,
    )


def neighborhoods_of(city) -> dict[str, str]:
    return dict(Neighborhood.objects.filter(jurisdiction=city).values_list("slug", "name"))


def test_the_city_boundary_sets_the_outline_and_the_bounds(tmp_path, springfield):
    output = load(
        geojson(tmp_path, feature(CITY, name="Springfield")), jurisdiction="springfield.gov", city_boundary=True
    )
    assert "boundary loaded" in output
    springfield.refresh_from_db()
    assert springfield.boundary["type"] == "Polygon"
    assert (springfield.min_lat, springfield.max_lat, springfield.min_long, springfield.max_long) == (
        39.75,
        39.85,
        -89.70,
        -89.60,
    )
    assert springfield.contains(39.80, -89.65) and not springfield.contains(39.80, -89.55)
    assert "already this one" in load(geojson(tmp_path, feature(CITY)), jurisdiction="springfield", city_boundary=True)


def test_neighborhoods_are_added_then_matched_by_slug_or_name_and_never_duplicated(tmp_path, springfield):
    load(geojson(tmp_path, feature(CITY)), jurisdiction="springfield.gov", city_boundary=True)
    path = geojson(tmp_path, feature(WEST, name="West Side"), feature(EAST, name="East Side", slug="east"))
    output = load(path, jurisdiction="springfield.gov", neighborhoods=True)
    assert "2 neighborhoods in the file: 2 added, 0 changed, 0 unchanged" in output
    assert neighborhoods_of(springfield) == {"west-side": "West Side", "east": "East Side"}
    # Finding a point uses the new neighborhoods at once (the cached index is forgotten).
    east = Neighborhood.objects.get(slug="east")
    assert places.neighborhood_id_at(springfield, 39.80, -89.62) == east.pk

    assert "0 added, 0 changed, 2 unchanged" in load(path, jurisdiction="springfield.gov", neighborhoods=True)
    # A corrected outline keeps its row (and what points at it); a renamed one keeps its slug.
    moved = geojson(
        tmp_path,
        feature(box(-89.70, 39.75, -89.66, 39.85), name="West Side"),
        feature(box(-89.66, 39.75, -89.60, 39.85), name="Eastside", slug="east"),
        name="moved.geojson",
    )
    assert "0 added, 2 changed" in load(moved, jurisdiction="springfield.gov", neighborhoods=True)
    assert Neighborhood.objects.get(slug="east").pk == east.pk
    assert neighborhoods_of(springfield) == {"west-side": "West Side", "east": "Eastside"}
    assert places.neighborhood_id_at(springfield, 39.80, -89.655) == east.pk


def test_a_neighborhood_is_matched_by_name_when_the_file_has_another_name_property(tmp_path, springfield):
    made = NeighborhoodFactory(jurisdiction=springfield, slug="old-slug", name="West Side", boundary=WEST)
    path = geojson(tmp_path, feature(WEST, NAME="west side"), feature(EAST, NAME="East Side"))
    output = load(path, jurisdiction="springfield.gov", neighborhoods=True, name_property="NAME")
    assert "1 added, 1 changed" in output
    made.refresh_from_db()
    assert (made.slug, made.name) == ("old-slug", "west side")


def test_neighborhoods_not_in_the_file_are_kept_and_named(tmp_path, springfield):
    NeighborhoodFactory(
        jurisdiction=springfield, slug="airport", name="Airport", boundary=box(-90.2, 39.1, -90.1, 39.2)
    )
    output = load(
        geojson(tmp_path, feature(WEST, name="West Side")), jurisdiction="springfield.gov", neighborhoods=True
    )
    assert "Kept, though not in the file" in output and "Airport" in output
    assert set(neighborhoods_of(springfield)) == {"airport", "west-side"}


def refused(path: str, **options) -> str:
    with pytest.raises(CommandError) as error:
        load(path, **options)
    assert error.value.returncode == 2
    assert "nothing changed" in str(error.value)
    return str(error.value)


def test_every_problem_is_listed_and_nothing_is_written(tmp_path, springfield):
    load(geojson(tmp_path, feature(CITY)), jurisdiction="springfield.gov", city_boundary=True)
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[-89.69, 39.76], [-89.61, 39.84], [-89.61, 39.76], [-89.69, 39.84], [-89.69, 39.76]]],
    }
    path = geojson(
        tmp_path,
        feature(WEST, name="Fine"),
        feature(bowtie, name="Bowtie"),
        feature({"type": "Point", "coordinates": [-89.65, 39.8]}, name="Dot"),
        feature(EAST, title="No name"),
    )
    message = refused(path, jurisdiction="springfield.gov", neighborhoods=True)
    assert "feature 2 (Bowtie) is not a valid polygon: Self-intersection" in message
    assert "feature 3 (Dot) is a Point" in message
    assert "feature 4 has no property “name” to name it (its properties: title)" in message
    assert not Neighborhood.objects.filter(jurisdiction=springfield).exists()


def test_overlapping_neighborhoods_and_ones_outside_the_city_are_refused(tmp_path, springfield):
    load(geojson(tmp_path, feature(CITY)), jurisdiction="springfield.gov", city_boundary=True)
    path = geojson(
        tmp_path,
        feature(box(-89.70, 39.75, -89.64, 39.85), name="West"),
        feature(EAST, name="East"),
        feature(box(-89.62, 39.80, -89.55, 39.82), name="Riverside"),
        feature(box(-88.0, 41.0, -87.9, 41.1), name="Chicago"),
    )
    message = refused(path, jurisdiction="springfield.gov", neighborhoods=True)
    assert "feature 1 (West) and feature 2 (East) overlap (" in message and " km²)" in message
    assert "feature 3 (Riverside) reaches 71.4% outside the city's boundary" in message
    assert "feature 4 (Chicago) lies outside the city." in message
    assert not Neighborhood.objects.exists()


def test_slivers_from_edges_drawn_twice_are_loaded_with_a_warning(tmp_path, springfield):
    load(geojson(tmp_path, feature(CITY)), jurisdiction="springfield.gov", city_boundary=True)
    # West's east edge is 0.0002° past East's west edge (0.4% of East), and East pokes out of the city by 0.0002°.
    path = geojson(
        tmp_path,
        feature(box(-89.70, 39.75, -89.6498, 39.85), name="West"),
        feature(box(-89.65, 39.75, -89.5998, 39.85), name="East"),
    )
    output = load(path, jurisdiction="springfield.gov", neighborhoods=True)
    assert "2 added" in output
    assert "Warning: feature 1 (West) and feature 2 (East) overlap by a sliver (0.40% of the smaller one)" in output
    assert "Warning: feature 2 (East) reaches a sliver outside the city's boundary (0.40% of it)" in output
    # A point in the sliver goes to the neighborhood loaded first.
    west = Neighborhood.objects.get(slug="west")
    assert places.neighborhood_id_at(springfield, 39.80, -89.6499) == west.pk


def test_a_new_neighborhood_may_not_overlap_one_kept_from_before(tmp_path, springfield):
    NeighborhoodFactory(jurisdiction=springfield, slug="downtown", name="Downtown", boundary=WEST)
    message = refused(
        geojson(tmp_path, feature(WEST, name="Old Town")), jurisdiction="springfield.gov", neighborhoods=True
    )
    assert "Downtown (already loaded, not in the file)" in message and "overlap" in message


def test_shared_edges_are_not_overlaps(tmp_path, springfield):
    load(geojson(tmp_path, feature(CITY)), jurisdiction="springfield.gov", city_boundary=True)
    # Squares meeting at edges and a corner, and a MultiPolygon of two pieces with a gap between them.
    pieces = [box(-89.70, 39.75, -89.65, 39.80), box(-89.65, 39.75, -89.60, 39.80), box(-89.70, 39.80, -89.65, 39.85)]
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            box(-89.65, 39.80, -89.63, 39.85)["coordinates"],
            box(-89.62, 39.80, -89.60, 39.85)["coordinates"],
        ],
    }
    path = geojson(
        tmp_path,
        *[feature(piece, name=f"Part {index}") for index, piece in enumerate(pieces)],
        feature(multi, name="Islands"),
    )
    output = load(path, jurisdiction="springfield.gov", neighborhoods=True)
    assert "4 added" in output
    assert "5.0% of the city lies in no neighborhood" in output


def test_a_file_in_another_coordinate_system_is_refused_with_how_to_convert_it(tmp_path, springfield):
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2272"}}
    message = refused(
        geojson(tmp_path, feature(WEST, name="West"), crs=crs), jurisdiction="springfield.gov", neighborhoods=True
    )
    assert "EPSG::2272" in message and "ogr2ogr -t_srs EPSG:4326" in message
    # No crs member, but feet from a state plane: not degrees.
    feet = box(2_690_000, 230_000, 2_700_000, 240_000)
    message = refused(geojson(tmp_path, feature(feet, name="West")), jurisdiction="springfield.gov", neighborhoods=True)
    assert "not longitude and latitude in degrees" in message
    # The old CRS84 name is WGS84: accepted.
    wgs84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert "1 added" in load(
        geojson(tmp_path, feature(WEST, name="West"), crs=wgs84), jurisdiction="springfield.gov", neighborhoods=True
    )


def test_swapped_latitude_and_longitude_get_a_hint(tmp_path, springfield):
    load(geojson(tmp_path, feature(CITY)), jurisdiction="springfield.gov", city_boundary=True)
    swapped = {"type": "Polygon", "coordinates": [[[lat, long] for long, lat in WEST["coordinates"][0]]]}
    message = refused(
        geojson(tmp_path, feature(swapped, name="West")), jurisdiction="springfield.gov", neighborhoods=True
    )
    assert "lies outside the city" in message and "latitude and longitude swapped" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "is not GeoJSON"),
        ('{"type": "FeatureCollection", "features": []}', "has no features"),
        ('{"type": "GeometryCollection", "geometries": []}', "expected a FeatureCollection"),
        ("[1, 2]", "is not a GeoJSON object"),
    ],
)
def test_a_file_that_is_not_usable_geojson_is_refused(tmp_path, springfield, content, expected):
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    assert expected in refused(str(path), jurisdiction="springfield.gov", neighborhoods=True)


def test_a_missing_file_and_an_unknown_city_are_refused(tmp_path, springfield):
    assert "cannot be read" in refused(
        str(tmp_path / "none.geojson"), jurisdiction="springfield.gov", city_boundary=True
    )
    unknown = r"There is no jurisdiction “shelbyville\.gov” \(there are: springfield\.gov\)"
    with pytest.raises(CommandError, match=unknown):
        load(geojson(tmp_path, feature(CITY)), jurisdiction="shelbyville.gov", city_boundary=True)


def test_a_dry_run_reports_and_writes_nothing(tmp_path, springfield):
    output = load(
        geojson(tmp_path, feature(WEST, name="West")), jurisdiction="springfield.gov", neighborhoods=True, dry_run=True
    )
    assert "1 added" in output and "Dry run" in output
    assert not Neighborhood.objects.exists()
    load(geojson(tmp_path, feature(CITY)), jurisdiction="springfield.gov", city_boundary=True, dry_run=True)
    springfield.refresh_from_db()
    assert springfield.boundary is None and springfield.min_lat == 39.0


def test_a_smaller_boundary_may_not_leave_neighborhoods_outside(tmp_path, springfield):
    NeighborhoodFactory(jurisdiction=springfield, slug="east", name="East", boundary=EAST)
    message = refused(geojson(tmp_path, feature(WEST)), jurisdiction="springfield.gov", city_boundary=True)
    assert "East lies outside the city." in message
    springfield.refresh_from_db()
    assert springfield.boundary is None


def test_loading_another_city_leaves_philadelphia_alone(tmp_path, springfield, center_city, service):
    filed = filed_request(service)
    load(geojson(tmp_path, feature(CITY)), jurisdiction="springfield.gov", city_boundary=True)
    load(
        geojson(tmp_path, feature(WEST, name="Center City", slug="center-city")),
        jurisdiction="springfield.gov",
        neighborhoods=True,
    )
    center_city.refresh_from_db()
    assert center_city.boundary == box(-75.18, 39.94, -75.14, 39.96)
    assert filed.neighborhood_id == center_city.pk
    assert places.neighborhood_id_at(service.jurisdiction, 39.95, -75.16) == center_city.pk
    assert ServiceFactory._meta.model.objects.count() == 1


# --- add_jurisdiction ---------------------------------------------------------------------------


def test_add_jurisdiction_adds_a_city_with_its_boundary_and_updates_it_on_a_second_run(tmp_path, db):
    path = geojson(tmp_path, feature(CITY))
    out = io.StringIO()
    call_command(
        "add_jurisdiction",
        "springfield.gov",
        name="Springfield",
        slug="springfield",
        time_zone="America/Chicago",
        boundary=path,
        stdout=out,
    )
    assert "Added Springfield (springfield.gov)." in out.getvalue()
    city = Jurisdiction.objects.get(jurisdiction_id="springfield.gov")
    # The first city of a deployment is its default: a second one added later changes nothing for it.
    assert (city.min_long, city.max_lat, city.is_default) == (-89.70, 39.85, True)
    call_command("add_jurisdiction", "springfield.gov", host="311.springfield.example", stdout=out)
    city.refresh_from_db()
    assert (city.host, city.name, city.time_zone) == ("311.springfield.example", "Springfield", "America/Chicago")
    assert Jurisdiction.objects.count() == 1
    call_command(
        "add_jurisdiction",
        "shelbyville.gov",
        name="Shelbyville",
        slug="shelbyville",
        time_zone="America/Chicago",
        boundary=path,
        stdout=out,
    )
    assert list(Jurisdiction.objects.filter(is_default=True).values_list("slug", flat=True)) == ["springfield"]


def test_add_jurisdiction_refuses_a_bad_zone_or_a_missing_boundary(tmp_path, db):
    with pytest.raises(CommandError, match="time_zone: America/Springfield is not a known time zone"):
        call_command(
            "add_jurisdiction",
            "springfield.gov",
            name="Springfield",
            slug="springfield",
            time_zone="America/Springfield",
            boundary=geojson(tmp_path, feature(CITY)),
        )
    with pytest.raises(CommandError, match="needs its boundary"):
        call_command("add_jurisdiction", "springfield.gov", name="Springfield", slug="springfield")
    assert not Jurisdiction.objects.exists()
