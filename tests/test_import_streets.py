"""A city's streets from a GeoJSON file: `jurisdictions.services.import_streets`, `manage.py import_streets`,
the read-only admin list, and the demo city's grid (`demo.streets.add_streets`)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from civic311.demo.streets import add_streets, grid_point
from civic311.jurisdictions.models import Jurisdiction, StreetSegment
from civic311.jurisdictions.services import StreetFileError, import_streets
from tests.factories import JurisdictionFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _feature(properties: dict, coordinates: list, kind: str = "LineString") -> dict:
    return {"type": "Feature", "properties": properties, "geometry": {"type": kind, "coordinates": coordinates}}


def _collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


MARKET = _feature(
    {"name": "Market St", "from_number": 1200, "to_number": 1299}, [[-75.160, 39.952], [-75.1615, 39.952]]
)
FIFTH = _feature({"name": "N. 5th Street", "from_number": 0, "to_number": 399}, [[-75.15, 39.951], [-75.149, 39.957]])


def test_a_file_replaces_the_citys_segments_with_keys_and_numbers(jurisdiction: Jurisdiction) -> None:
    StreetSegment.objects.create(
        jurisdiction=jurisdiction, name="Old St", key="old", line=[[-75.1, 39.9], [-75.2, 39.9]]
    )
    other = JurisdictionFactory(
        slug="springfield", name="Springfield", jurisdiction_id="springfield.gov", is_default=False
    )
    StreetSegment.objects.create(jurisdiction=other, name="Elm St", key="elm", line=[[-75.1, 39.9], [-75.2, 39.9]])

    assert import_streets(jurisdiction, _collection(MARKET, FIFTH)) == 2

    rows = {row.name: row for row in StreetSegment.objects.filter(jurisdiction=jurisdiction)}
    assert set(rows) == {"Market St", "N. 5th Street"}
    assert rows["N. 5th Street"].key == "5th"
    assert (rows["N. 5th Street"].from_number, rows["N. 5th Street"].to_number) == (0, 399)  # 0 is a number here
    assert rows["Market St"].line == [[-75.16, 39.952], [-75.1615, 39.952]]
    assert StreetSegment.objects.filter(jurisdiction=other).count() == 1  # another city's are left alone


def test_philadelphias_centreline_fields_are_read_as_they_are(jurisdiction: Jurisdiction) -> None:
    philly = _feature(
        {"STNAME": "N 5TH ST", "L_F_ADD": 0, "R_F_ADD": 1200, "L_T_ADD": 0, "R_T_ADD": 1298, "SEG_ID": 4},
        [[-75.145, 39.97], [-75.1448, 39.971]],
    )
    no_numbers = _feature(
        {"STNAME": "LEHIGH AVE", "L_F_ADD": 0, "R_F_ADD": 0, "L_T_ADD": 0, "R_T_ADD": 0},
        [[-75.14, 39.99], [-75.15, 39.99]],
    )
    assert import_streets(jurisdiction, _collection(philly, no_numbers)) == 2
    fifth = StreetSegment.objects.get(key="5th")
    assert (fifth.name, fifth.from_number, fifth.to_number) == ("N 5TH ST", 1200, 1298)
    lehigh = StreetSegment.objects.get(key="lehigh")
    assert (lehigh.from_number, lehigh.to_number) == (None, None)  # 0 is "no addresses" in that file


def test_a_multilinestring_shares_its_numbers_by_length(jurisdiction: Jurisdiction) -> None:
    parts = _feature(
        {"name": "Ridge Ave", "from_number": 100, "to_number": 400},
        [[[-75.16, 39.96], [-75.17, 39.96]], [[-75.17, 39.96], [-75.19, 39.96]]],
        kind="MultiLineString",
    )
    assert import_streets(jurisdiction, _collection(parts)) == 2
    numbers = list(StreetSegment.objects.order_by("from_number").values_list("from_number", "to_number"))
    assert numbers == [(100, 200), (200, 400)]


def test_features_outside_the_city_are_left_out(jurisdiction: Jurisdiction) -> None:
    far = _feature({"name": "Main St"}, [[-122.4, 37.7], [-122.5, 37.7]])
    assert import_streets(jurisdiction, _collection(MARKET, far)) == 1
    with pytest.raises(StreetFileError, match="within the city's bounds"):
        import_streets(jurisdiction, _collection(far))


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], "not a GeoJSON FeatureCollection"),
        ({"type": "Feature"}, "not a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection", "features": "x"}, "no list of features"),
        ({"type": "FeatureCollection", "features": []}, "has no features"),
        (_collection(_feature({"name": "Market St"}, [-75.1, 39.9], kind="Point")), "not Point"),
        (_collection(_feature({}, [[-75.1, 39.9], [-75.2, 39.9]])), "has no street name"),
        (_collection(_feature({"name": "  "}, [[-75.1, 39.9], [-75.2, 39.9]])), "has no street name"),
        (_collection(_feature({"name": "!!"}, [[-75.1, 39.9], [-75.2, 39.9]])), "no letters or digits"),
        (_collection(_feature({"name": "Market St"}, [[2694000.0, 236000.0], [2695000.0, 236000.0]])), "WGS84"),
        (_collection(_feature({"name": "Market St"}, [[-75.1, 39.9]])), "at least two points"),
        (_collection(_feature({"name": "Market St"}, [["a", "b"], [-75.2, 39.9]])), "not a pair of numbers"),
        (
            _collection(_feature({"name": "Market St", "from_number": "12a"}, [[-75.1, 39.9], [-75.2, 39.9]])),
            "not a house number",
        ),
        (
            _collection(_feature({"name": "Market St", "to_number": -5}, [[-75.1, 39.9], [-75.2, 39.9]])),
            "not a house number",
        ),
        ({"type": "FeatureCollection", "features": ["feature"]}, "is not a GeoJSON feature"),
        ({**_collection(MARKET), "crs": {"type": "name", "properties": {"name": "EPSG:2272"}}}, "coordinate system"),
    ],
)
def test_a_bad_file_is_refused_whole_and_nothing_changes(
    jurisdiction: Jurisdiction, document: object, problem: str
) -> None:
    import_streets(jurisdiction, _collection(MARKET))
    with pytest.raises(StreetFileError) as refused:
        import_streets(jurisdiction, document)
    assert any(problem in line for line in refused.value.problems), refused.value.problems
    assert list(StreetSegment.objects.values_list("name", flat=True)) == ["Market St"]


def test_every_problem_is_listed_up_to_a_limit(jurisdiction: Jurisdiction) -> None:
    bad = [_feature({}, [[-75.1, 39.9], [-75.2, 39.9]]) for _ in range(30)]
    with pytest.raises(StreetFileError) as refused:
        import_streets(jurisdiction, _collection(*bad))
    assert len(refused.value.problems) == 21
    assert "10 more" in refused.value.problems[-1]
    assert "feature 1 " in refused.value.problems[0]


# --- the command -------------------------------------------------------------------------------------


def _write(tmp_path: Path, document: object) -> str:
    path = tmp_path / "streets.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_the_command_loads_a_file_and_says_what_it_loaded(jurisdiction: Jurisdiction, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("import_streets", _write(tmp_path, _collection(MARKET, FIFTH)), jurisdiction="phila.gov", stdout=out)
    assert "street segments loaded: 2 (streets: 2)" in out.getvalue()
    assert "With house numbers (addresses on them can be placed): 2." in out.getvalue()
    assert StreetSegment.objects.count() == 2


def test_the_command_with_other_property_names_and_a_dry_run(jurisdiction: Jurisdiction, tmp_path: Path) -> None:
    feature = _feature({"label": "Girard Ave", "start": 1400, "end": 1499}, [[-75.16, 39.97], [-75.17, 39.97]])
    path = _write(tmp_path, _collection(feature))
    out = io.StringIO()
    options = {"name_property": "label", "from_property": "start", "to_property": "end"}
    call_command("import_streets", path, jurisdiction="philadelphia", dry_run=True, stdout=out, **options)
    assert "would be loaded" in out.getvalue()
    assert StreetSegment.objects.count() == 0
    call_command("import_streets", path, jurisdiction="philadelphia", stdout=io.StringIO(), **options)
    assert list(StreetSegment.objects.values_list("key", "from_number", "to_number")) == [("girard", 1400, 1499)]


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "cannot be read"), ("{not json", "is not GeoJSON"), (json.dumps({"type": "Polygon"}), "FeatureCollection")],
)
def test_the_command_refuses_a_bad_file_with_exit_2(
    jurisdiction: Jurisdiction, tmp_path: Path, content, problem
) -> None:
    path = tmp_path / "streets.geojson"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=problem) as refused:
        call_command("import_streets", str(path), jurisdiction="phila.gov")
    assert refused.value.returncode == 2
    assert "nothing changed" in str(refused.value)


def test_the_command_names_the_known_jurisdictions_when_one_is_unknown(
    jurisdiction: Jurisdiction, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="philadelphia") as refused:
        call_command("import_streets", _write(tmp_path, _collection(MARKET)), jurisdiction="nowhere")
    assert refused.value.returncode == 2


# --- the admin ------------------------------------------------------------------------------------------


def test_the_admin_lists_segments_but_never_edits_them(jurisdiction: Jurisdiction, client) -> None:
    import_streets(jurisdiction, _collection(MARKET))
    admin = StaffFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    listing = client.get(reverse("admin:jurisdictions_streetsegment_changelist"))
    assert listing.status_code == 200 and b"Market St" in listing.content
    assert client.get(reverse("admin:jurisdictions_streetsegment_add")).status_code == 403
    segment = StreetSegment.objects.get()
    page = client.get(reverse("admin:jurisdictions_streetsegment_change", args=[segment.pk]))
    assert page.status_code == 200 and b'name="name"' not in page.content  # read-only
    assert (
        client.post(reverse("admin:jurisdictions_streetsegment_delete", args=[segment.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert StreetSegment.objects.count() == 1


def test_someone_who_is_not_staff_cannot_see_the_admin_list(jurisdiction: Jurisdiction, client) -> None:
    client.force_login(StaffFactory(is_staff=False, is_superuser=False))
    response = client.get(reverse("admin:jurisdictions_streetsegment_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the demo grid --------------------------------------------------------------------------------------


def test_the_demo_grid_numbers_streets_as_philadelphia_does(jurisdiction: Jurisdiction) -> None:
    made = add_streets(jurisdiction)
    assert made == StreetSegment.objects.filter(jurisdiction=jurisdiction).count() > 1000
    assert add_streets(jurisdiction) == made  # again: replaced, not added
    keys = set(StreetSegment.objects.values_list("key", flat=True))
    assert {"front", "5th", "22nd", "63rd", "broad", "market", "lehigh", "roosevelt", "germantown", "ridge"} <= keys
    # 1500 Market St is at 15th St; N numbers run north from Market, S south.
    market = StreetSegment.objects.get(key="market", from_number__lte=1500, to_number__gte=1500)
    assert market.from_number is not None and market.to_number is not None
    share = (1500 - market.from_number) / (market.to_number + 1 - market.from_number)
    (long, lat), (to_long, to_lat) = market.line
    at = [long + (to_long - long) * share, lat + (to_lat - lat) * share]
    assert at == pytest.approx(list(reversed(grid_point(1500, 0))), abs=2e-4)  # within ~20 m: a piece is 4 blocks
    north = StreetSegment.objects.get(name="N 5th St", from_number=1200)
    south = StreetSegment.objects.get(name="S 5th St", from_number=1200)
    assert north.line[0][1] > 39.96 > 39.94 > south.line[0][1]
    # E Lehigh Ave runs east of Front, W Lehigh Ave west of it.
    east = StreetSegment.objects.get(name="E Lehigh Ave", from_number__lte=2000, to_number__gte=2000)
    west = StreetSegment.objects.get(name="W Lehigh Ave", from_number__lte=2000, to_number__gte=2000)
    assert east.line[0][0] > -75.14 > west.line[0][0]
