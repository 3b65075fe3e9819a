"""Philadelphia as the demo city sees it: its bounds, neighborhoods, streets and ZIP codes.

Each neighborhood is a real one, placed at its approximate real centre. `make_neighborhoods.py` turns
the centres into polygons that tile the city's box; the history generator uses the rest of each row to
put requests where people actually live and to give them plausible addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

# The city's bounding box (the open-data README: 39.87-40.14 N, 75.28-74.96 W).
MIN_LAT, MAX_LAT = 39.87, 40.14
MIN_LONG, MAX_LONG = -75.28, -74.96


@dataclass(frozen=True)
class Place:
    slug: str
    name: str
    lat: float
    long: float
    # Relative share of the city's reports: denser, older, poorer neighborhoods report more.
    density: float
    # How far from the centre reports spread (kilometres, one standard deviation).
    spread_km: float
    zipcodes: tuple[str, ...]
    streets: tuple[str, ...]
    # The range of house numbers that looks right on those streets.
    house_numbers: tuple[int, int]


NEIGHBORHOODS: tuple[Place, ...] = (
    Place("center-city", "Center City", 39.9526, -75.1652, 6, 0.8, ("19102", "19103", "19107"),
          ("Market St", "Chestnut St", "Walnut St", "Locust St", "Spruce St", "Arch St", "Race St",
           "Sansom St", "Pine St", "Lombard St"), (100, 2400)),
    Place("old-city", "Old City", 39.9522, -75.1440, 2, 0.4, ("19106",),
          ("Market St", "Arch St", "Race St", "Chestnut St", "N 2nd St", "N 3rd St", "Church St", "Cherry St"),
          (1, 400)),
    Place("society-hill", "Society Hill", 39.9440, -75.1480, 2, 0.4, ("19106", "19147"),
          ("Spruce St", "Pine St", "Lombard St", "S 3rd St", "S 4th St", "Delancey St", "S 2nd St"), (100, 500)),
    Place("northern-liberties", "Northern Liberties", 39.9640, -75.1420, 3, 0.5, ("19123",),
          ("N 2nd St", "N 3rd St", "W Girard Ave", "Brown St", "Poplar St", "Fairmount Ave", "N Lawrence St",
           "N American St"), (600, 1100)),
    Place("fishtown", "Fishtown", 39.9720, -75.1290, 4, 0.6, ("19125",),
          ("Frankford Ave", "E Girard Ave", "E Norris St", "E Columbia Ave", "E Thompson St", "E Palmer St",
           "Memphis St", "E Berks St"), (100, 1900)),
    Place("kensington", "Kensington", 39.9930, -75.1280, 10, 0.8, ("19134", "19125", "19133"),
          ("Kensington Ave", "E Allegheny Ave", "E Somerset St", "E Lehigh Ave", "Frankford Ave", "N Front St",
           "E Cambria St", "Emerald St", "E Indiana Ave"), (1800, 3500)),
    Place("port-richmond", "Port Richmond", 39.9850, -75.1050, 5, 0.7, ("19134",),
          ("E Allegheny Ave", "Richmond St", "Aramingo Ave", "E Clearfield St", "E Westmoreland St",
           "Almond St", "Thompson St"), (2200, 3400)),
    Place("south-philadelphia", "South Philadelphia", 39.9200, -75.1560, 8, 1.3, ("19148", "19145", "19147"),
          ("S Broad St", "E Passyunk Ave", "W Oregon Ave", "Snyder Ave", "S 10th St", "Moore St", "Porter St",
           "Ritner St", "S 7th St", "Wolf St"), (300, 2800)),
    Place("point-breeze", "Point Breeze", 39.9330, -75.1800, 5, 0.5, ("19146", "19145"),
          ("Point Breeze Ave", "Wharton St", "Federal St", "S 20th St", "S 22nd St", "Tasker St", "Morris St",
           "Dickinson St"), (1200, 2300)),
    Place("grays-ferry", "Grays Ferry", 39.9380, -75.1960, 3, 0.5, ("19146",),
          ("Grays Ferry Ave", "Wharton St", "S 29th St", "S 31st St", "Dickinson St", "Reed St", "Tasker St"),
          (1200, 3300)),
    Place("university-city", "University City", 39.9522, -75.1932, 4, 0.6, ("19104",),
          ("Walnut St", "Spruce St", "Chestnut St", "Baltimore Ave", "S 40th St", "Locust St", "Market St",
           "Lancaster Ave"), (3200, 4500)),
    Place("west-philadelphia", "West Philadelphia", 39.9600, -75.2250, 9, 1.3, ("19139", "19143", "19131"),
          ("Market St", "Lancaster Ave", "N 52nd St", "Haverford Ave", "W Girard Ave", "Spruce St",
           "Baltimore Ave", "Cedar Ave", "Chestnut St"), (4500, 6300)),
    Place("overbrook", "Overbrook", 39.9820, -75.2500, 4, 0.8, ("19151", "19131"),
          ("N 63rd St", "Lancaster Ave", "City Ave", "W Jefferson St", "Haverford Ave", "N 66th St",
           "Woodbine Ave"), (1000, 2000)),
    Place("manayunk", "Manayunk", 40.0262, -75.2250, 2, 0.5, ("19127",),
          ("Main St", "Ridge Ave", "Green Ln", "Cresson St", "Umbria St", "Leverington Ave", "Shurs Ln",
           "Manayunk Ave"), (3800, 4500)),
    Place("roxborough", "Roxborough", 40.0480, -75.2240, 3, 0.9, ("19128",),
          ("Ridge Ave", "Henry Ave", "Leverington Ave", "Walnut Ln", "Shawmont Ave", "Green Ln", "Hermitage St"),
          (5000, 8000)),
    Place("germantown", "Germantown", 40.0370, -75.1730, 7, 0.8, ("19144",),
          ("Germantown Ave", "W Chelten Ave", "Wayne Ave", "Greene St", "W Wister St", "W Manheim St",
           "E Church Ln", "W Rittenhouse St"), (100, 6000)),
    Place("chestnut-hill", "Chestnut Hill", 40.0760, -75.2080, 1.5, 0.7, ("19118",),
          ("Germantown Ave", "E Highland Ave", "Bethlehem Pike", "W Evergreen Ave", "Winston Rd",
           "W Willow Grove Ave"), (7800, 9000)),
    Place("mount-airy", "Mount Airy", 40.0570, -75.1900, 3, 0.7, ("19119",),
          ("Germantown Ave", "W Mt Pleasant Ave", "Lincoln Dr", "Emlen St", "W Sedgwick St", "E Mt Airy Ave",
           "Boyer St"), (6500, 7700)),
    Place("frankford", "Frankford", 40.0230, -75.0830, 6, 0.7, ("19124",),
          ("Frankford Ave", "Oxford Ave", "Orthodox St", "Margaret St", "Griscom St", "Arrott St", "Harrison St"),
          (4000, 5300)),
    Place("mayfair", "Mayfair", 40.0380, -75.0440, 4, 0.8, ("19136", "19149"),
          ("Frankford Ave", "Cottman Ave", "Rowland Ave", "Princeton Ave", "Tyson Ave", "Brous Ave",
           "Stanwood St"), (3000, 7200)),
    Place("northeast-bustleton", "Northeast / Bustleton", 40.0850, -75.0350, 6, 2.2,
          ("19115", "19116", "19152", "19154", "19114"),
          ("Bustleton Ave", "Grant Ave", "Red Lion Rd", "Welsh Rd", "Verree Rd", "Haldeman Ave",
           "Roosevelt Blvd", "Byberry Rd"), (9000, 13000)),
    Place("nicetown-tioga", "Nicetown-Tioga", 40.0080, -75.1560, 6, 0.7, ("19140",),
          ("W Hunting Park Ave", "N Broad St", "W Erie Ave", "W Venango St", "W Tioga St", "Germantown Ave",
           "W Allegheny Ave"), (1500, 4000)),
    Place("strawberry-mansion", "Strawberry Mansion", 39.9900, -75.1830, 6, 0.6, ("19121", "19132"),
          ("W Lehigh Ave", "N 33rd St", "W Diamond St", "Ridge Ave", "W Susquehanna Ave", "N 29th St",
           "W Dauphin St"), (2200, 3300)),
    Place("fairmount", "Fairmount", 39.9670, -75.1740, 3, 0.5, ("19130",),
          ("Fairmount Ave", "Brown St", "Poplar St", "N 22nd St", "N 24th St", "Aspen St", "Green St",
           "Spring Garden St"), (1900, 2700)),
    Place("olney", "Olney", 40.0350, -75.1220, 5, 0.8, ("19120",),
          ("N 5th St", "W Olney Ave", "W Tabor Rd", "W Champlost St", "Rising Sun Ave", "W Nedro Ave",
           "W Fisher Ave"), (100, 6000)),
    Place("eastwick", "Eastwick", 39.9050, -75.2350, 2, 1.0, ("19142", "19153"),
          ("Lindbergh Blvd", "Island Ave", "Essington Ave", "S 84th St", "Elmwood Ave", "Bartram Ave",
           "S 70th St"), (2500, 8800)),
)

NEIGHBORHOODS_BY_SLUG = {place.slug: place for place in NEIGHBORHOODS}
