"""Write `data/city-boundary.geojson` and `data/neighborhoods.geojson`: the demo's Philadelphia and its
neighborhoods, which `seed_demo_city` loads with `manage.py load_boundaries` as any city would.

Real boundaries are a licensing and size question the demo does not need; instead each neighborhood is
the Voronoi cell of its approximate real centre, clipped to the city's box, so together they tile the
whole box with no gaps or overlaps and every point of the city lies in exactly one neighborhood.

    .venv/bin/python -m civic311.demo.make_neighborhoods

The output is committed; run this again only after changing `places.NEIGHBORHOODS` or the city's box.
The city's boundary is its box: the real outline is not needed to tell where reports come from.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import MultiPoint, Point, box, mapping

from civic311.demo.places import MAX_LAT, MAX_LONG, MIN_LAT, MIN_LONG, NEIGHBORHOODS

OUTPUT = Path(__file__).resolve().parent / "data" / "neighborhoods.geojson"
CITY_OUTPUT = OUTPUT.with_name("city-boundary.geojson")
# Five decimals of a degree is about a metre: plenty for a demo, and a small file.
PRECISION = 5
GRID = 10**-PRECISION


def neighborhood_polygons() -> dict[str, shapely.Polygon]:
    city = box(MIN_LONG, MIN_LAT, MAX_LONG, MAX_LAT)
    centres = {place.slug: Point(place.long, place.lat) for place in NEIGHBORHOODS}
    cells = shapely.voronoi_polygons(MultiPoint(list(centres.values())), extend_to=city).geoms
    # Snapping the clipped cells to the 5-decimal grid together keeps shared edges identical.
    clipped = shapely.set_precision([cell.intersection(city) for cell in cells], GRID)
    polygons = {}
    for slug, centre in centres.items():
        matches = [cell for cell in clipped if cell.contains(centre)]
        if len(matches) != 1:
            raise ValueError(f"{slug}: its centre lies in {len(matches)} cells")
        polygons[slug] = matches[0]
    return polygons


def check_tiling(polygons: dict[str, shapely.Polygon]) -> None:
    city = box(MIN_LONG, MIN_LAT, MAX_LONG, MAX_LAT)
    shapes = list(polygons.values())
    for slug, polygon in polygons.items():
        if not polygon.is_valid or polygon.geom_type != "Polygon":
            raise ValueError(f"{slug}: not a valid single polygon")
    overlap = sum(a.intersection(b).area for i, a in enumerate(shapes) for b in shapes[i + 1 :])
    gap = city.difference(shapely.union_all(shapes)).area
    if overlap > 1e-12 or gap > 1e-12:
        raise ValueError(f"the neighborhoods do not tile the box (overlap {overlap}, gap {gap})")


def feature_collection(polygons: dict[str, shapely.Polygon]) -> dict:
    features = []
    for place in NEIGHBORHOODS:
        geometry = mapping(shapely.orient_polygons(polygons[place.slug]))  # exterior counter-clockwise
        geometry["coordinates"] = [
            [[round(x, PRECISION), round(y, PRECISION)] for x, y in ring] for ring in geometry["coordinates"]
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {"slug": place.slug, "name": place.name},
                "geometry": geometry,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def city_feature() -> dict:
    geometry = mapping(shapely.orient_polygons(box(MIN_LONG, MIN_LAT, MAX_LONG, MAX_LAT)))
    return {
        "type": "Feature",
        "properties": {"name": "Philadelphia"},
        "geometry": {"type": "Polygon", "coordinates": [[list(point) for point in geometry["coordinates"][0]]]},
    }


def main() -> None:
    CITY_OUTPUT.write_text(json.dumps(city_feature(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"Wrote the city's boundary to {CITY_OUTPUT}")
    polygons = neighborhood_polygons()
    check_tiling(polygons)
    features = feature_collection(polygons)["features"]
    # One feature a line: small, and a change to one neighborhood is a one-line diff.
    lines = ",\n".join(json.dumps(feature, separators=(",", ":")) for feature in features)
    OUTPUT.write_text(f'{{"type":"FeatureCollection","features":[\n{lines}\n]}}\n', encoding="utf-8")
    print(f"Wrote {len(features)} neighborhoods to {OUTPUT}")


if __name__ == "__main__":
    main()
