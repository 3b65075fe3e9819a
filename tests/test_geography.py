"""Where a point lies: its neighborhood (inside, on an edge, in none), its H3 cell, and the per-process cache
of boundaries that must forget a neighborhood as soon as it is saved or deleted."""

from __future__ import annotations

import h3
import pytest

from civic311.jurisdictions.selectors import H3_RESOLUTION, h3_cell, neighborhood_id_at

from .factories import JurisdictionFactory, NeighborhoodFactory, box

CITY_HALL = (39.9526, -75.1635)


@pytest.fixture
def county(db):
    return JurisdictionFactory(slug="county", jurisdiction_id="county.example", name="County", is_default=False)


def test_a_point_inside_a_neighborhood_finds_it(jurisdiction, center_city):
    assert neighborhood_id_at(jurisdiction, *CITY_HALL) == center_city.pk


@pytest.mark.parametrize(
    ("lat", "long"),
    [(39.94, -75.16), (39.96, -75.16), (39.95, -75.18), (39.95, -75.14), (39.94, -75.18), (39.96, -75.14)],
    ids=["south-edge", "north-edge", "west-edge", "east-edge", "south-west-corner", "north-east-corner"],
)
def test_a_point_on_the_boundary_belongs_to_the_neighborhood(jurisdiction, center_city, lat, long):
    assert neighborhood_id_at(jurisdiction, lat, long) == center_city.pk


@pytest.mark.parametrize(("lat", "long"), [(39.9399, -75.16), (39.9601, -75.16), (39.95, -75.1801), (40.05, -75.05)])
def test_a_point_outside_every_neighborhood_finds_none(jurisdiction, center_city, lat, long):
    assert neighborhood_id_at(jurisdiction, lat, long) is None


def test_a_jurisdiction_without_neighborhoods_finds_none(jurisdiction):
    assert neighborhood_id_at(jurisdiction, *CITY_HALL) is None


def test_another_jurisdictions_neighborhoods_are_not_found(jurisdiction, county):
    NeighborhoodFactory(jurisdiction=county, boundary=box(-75.18, 39.94, -75.14, 39.96))
    assert neighborhood_id_at(jurisdiction, *CITY_HALL) is None


def test_a_point_in_a_hole_is_not_in_the_neighborhood(jurisdiction):
    ring = {
        "type": "Polygon",
        "coordinates": [
            [[-75.18, 39.94], [-75.14, 39.94], [-75.14, 39.96], [-75.18, 39.96], [-75.18, 39.94]],
            [[-75.17, 39.945], [-75.15, 39.945], [-75.15, 39.955], [-75.17, 39.955], [-75.17, 39.945]],
        ],
    }
    doughnut = NeighborhoodFactory(jurisdiction=jurisdiction, boundary=ring)
    assert neighborhood_id_at(jurisdiction, 39.95, -75.16) is None
    assert neighborhood_id_at(jurisdiction, 39.942, -75.16) == doughnut.pk


def test_a_multipolygon_neighborhood_is_found_in_each_part(jurisdiction):
    west, east = box(-75.25, 39.90, -75.23, 39.92), box(-75.05, 40.00, -75.03, 40.02)
    split = NeighborhoodFactory(
        jurisdiction=jurisdiction,
        boundary={"type": "MultiPolygon", "coordinates": [west["coordinates"], east["coordinates"]]},
    )
    assert neighborhood_id_at(jurisdiction, 39.91, -75.24) == split.pk
    assert neighborhood_id_at(jurisdiction, 40.01, -75.04) == split.pk
    assert neighborhood_id_at(jurisdiction, 39.95, -75.14) is None


def test_a_point_on_a_shared_edge_goes_to_the_oldest_neighborhood_whatever_the_index_looks_like(jurisdiction):
    # A 6 by 6 grid of neighborhoods, created row by row. A point on the edge two of them share must land in
    # the same one every time, whatever order the spatial index happens to return them in.
    size = 6
    longs = [round(-75.22 + 0.01 * step, 6) for step in range(size + 1)]  # exact, shared edges
    lats = [round(39.90 + 0.01 * step, 6) for step in range(size + 1)]
    grid = {}
    for row in range(size):
        for column in range(size):
            grid[row, column] = NeighborhoodFactory(
                jurisdiction=jurisdiction,
                boundary=box(longs[column], lats[row], longs[column + 1], lats[row + 1]),
            ).pk
    for row in range(size):
        for column in range(1, size):
            middle = (lats[row] + lats[row + 1]) / 2
            shared = {grid[row, column - 1], grid[row, column]}
            assert neighborhood_id_at(jurisdiction, middle, longs[column]) == min(shared), (row, column)
    for row in range(1, size):
        for column in range(size):
            middle = (longs[column] + longs[column + 1]) / 2
            shared = {grid[row - 1, column], grid[row, column]}
            assert neighborhood_id_at(jurisdiction, lats[row], middle) == min(shared), (row, column)


# --- H3 ----------------------------------------------------------------------------------------------------


def test_the_h3_cell_is_resolution_nine_and_contains_the_point():
    cell = h3_cell(*CITY_HALL)
    assert H3_RESOLUTION == 9
    assert h3.is_valid_cell(cell)
    assert h3.get_resolution(cell) == 9
    assert h3.latlng_to_cell(*CITY_HALL, 9) == cell
    centre_lat, centre_long = h3.cell_to_latlng(cell)
    assert abs(centre_lat - CITY_HALL[0]) < 0.005 and abs(centre_long - CITY_HALL[1]) < 0.005


def test_nearby_points_share_a_cell_and_distant_ones_do_not():
    assert h3_cell(39.95260, -75.16350) == h3_cell(39.95262, -75.16352)  # two metres apart
    assert h3_cell(39.9526, -75.1635) != h3_cell(39.9626, -75.1635)  # a kilometre apart


# --- the cache -------------------------------------------------------------------------------------------


def test_lookups_are_cached(jurisdiction, center_city, django_assert_num_queries):
    neighborhood_id_at(jurisdiction, *CITY_HALL)
    with django_assert_num_queries(0):
        assert neighborhood_id_at(jurisdiction, *CITY_HALL) == center_city.pk


def test_a_new_neighborhood_is_found_at_once(jurisdiction):
    assert neighborhood_id_at(jurisdiction, *CITY_HALL) is None  # now cached: no neighborhoods
    created = NeighborhoodFactory(jurisdiction=jurisdiction, boundary=box(-75.18, 39.94, -75.14, 39.96))
    assert neighborhood_id_at(jurisdiction, *CITY_HALL) == created.pk


def test_a_moved_boundary_is_used_at_once(jurisdiction, center_city):
    assert neighborhood_id_at(jurisdiction, *CITY_HALL) == center_city.pk
    center_city.boundary = box(-75.10, 40.00, -75.05, 40.05)
    center_city.save()
    assert neighborhood_id_at(jurisdiction, *CITY_HALL) is None
    assert neighborhood_id_at(jurisdiction, 40.02, -75.07) == center_city.pk


def test_a_deleted_neighborhood_is_forgotten_at_once(jurisdiction, center_city):
    assert neighborhood_id_at(jurisdiction, *CITY_HALL) == center_city.pk
    center_city.delete()
    assert neighborhood_id_at(jurisdiction, *CITY_HALL) is None


def test_saving_a_neighborhood_forgets_only_its_own_jurisdiction(
    jurisdiction, center_city, county, django_assert_num_queries
):
    neighborhood_id_at(jurisdiction, *CITY_HALL)
    NeighborhoodFactory(jurisdiction=county, boundary=box(-75.18, 39.94, -75.14, 39.96))
    with django_assert_num_queries(0):
        assert neighborhood_id_at(jurisdiction, *CITY_HALL) == center_city.pk
