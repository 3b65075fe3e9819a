"""The words in the demo city's history: what residents write, what agents answer, what crews note.

Several variants of each, so that a list of requests reads like a real queue and not like a template.
"""

from __future__ import annotations

# What residents write when they report, per service code. An empty description is common too.
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "SR-LI21": (
        "Grass and weeds are taller than the fence, and there are rats running from the yard.",
        "Back windows broken for months, the owner never comes by.",
        "Landlord lets trash pile up behind the building, it smells in the heat.",
        "Gutter hanging off the front of the house and water pours onto the sidewalk.",
        "Property next door is overgrown and the roof is falling in at the back.",
    ),
    "SR-ST03": (
        "Trash was not picked up on our block today, every other block got collected.",
        "Recycling missed again this week on the whole block.",
        "Truck skipped our side of the street.",
        "Bags still out from collection day, now animals are getting into them.",
        "Blue bins not emptied, second week in a row.",
    ),
    "SR-ST02": (
        "Someone dumped two mattresses and a couch in the alley overnight.",
        "Pile of tires dumped on the corner lot.",
        "Contractor bags and drywall dumped along the curb.",
        "Bags of household trash dumped on the sidewalk next to the school.",
        "Old furniture and a TV left in the middle of the sidewalk.",
        "Truck backed up and dumped construction debris by the railroad bridge.",
    ),
    "SR-PD01": (
        "Car has not moved in over a month, flat tires and no plate.",
        "Van with expired tags parked here since the summer, windows broken.",
        "Stripped car sitting on cinder blocks.",
        "Car with a smashed windshield, covered in leaves and tickets.",
        "Out of state plates, never moves, people are sleeping in it.",
    ),
    "SR-ST01": (
        "Big pothole in the right lane, cars are swerving around it.",
        "Street caving in near the storm drain.",
        "Manhole cover is loose and clanks every time a car drives over it.",
        "Patch from the water company sank, there is a deep dip in the road.",
        "Several potholes on the block after the freeze.",
    ),
    "SR-CL01": (
        "Graffiti all over the side wall of the corner store.",
        "Someone tagged our garage door overnight.",
        "Spray paint on the mailbox and the bus shelter.",
        "Hateful words painted on the fence by the playground.",
        "Tags on the back wall of the row homes along the alley.",
    ),
    "SR-ST18": (
        "Hill is a sheet of ice, cars cannot get up it.",
        "Bus route has not been salted, buses are sliding.",
        "Bridge is icy, two cars already slid into the railing.",
        "Street in front of the school has not been treated.",
        "Whole block is ice, nobody can get out.",
    ),
    "SR-ST04": (
        "Street light out in front of my house for two weeks.",
        "Light keeps flickering on and off all night.",
        "Street light stays on all day.",
        "Pole knocked over by a car, wires showing.",
        "Two lights out in a row, the corner is completely dark.",
    ),
    "SR-CL02": (
        "Vacant lot full of weeds and trash, rats everywhere.",
        "People keep dumping tires and furniture in the empty lot.",
        "Overgrown lot next to my house, the weeds are over my head.",
        "Lot has not been cleaned all year.",
    ),
    "SR-LI27": (
        "Vacant house with the back door wide open, people going in at night.",
        "Empty store front, boards pulled off the windows.",
        "Abandoned house next door, someone is squatting there.",
        "Vacant property open to the weather, roof is gone.",
    ),
    "SR-ST19": (
        "Restaurant dumpster overflowing, trash all over the sidewalk.",
        "Dumpster has no lid and birds are pulling the trash out.",
        "Construction dumpster is blocking the whole sidewalk.",
        "Neighbors put trash out three days before collection.",
    ),
    "SR-ST25": (
        "Traffic light is completely dark, cars are not stopping.",
        "Signal stuck on red in every direction.",
        "Light flashing yellow at a busy intersection during rush hour.",
        "Signal head turned the wrong way after the wind storm.",
        "All the lights are out at the intersection.",
    ),
    "SR-LI06": (
        "Crew working at 6 am with jackhammers.",
        "No permit posted and they are pouring concrete.",
        "Scaffolding looks unsafe, planks missing.",
        "Construction site leaving mud and debris all over the street.",
        "Sidewalk closed for the job, people walking in the street.",
    ),
    "SR-PR08": (
        "Large branch fell and is blocking the street.",
        "Dead tree leaning over the sidewalk.",
        "Tree branches covering the street light, block is dark.",
        "Limb hanging over the sidewalk after the storm.",
        "Stump left in the tree pit after the tree was removed.",
        "We would like a street tree in front of our house.",
    ),
    "SR-FD02": (
        "Need a smoke detector for my mother's house.",
        "Our smoke alarm stopped working and we cannot afford a new one.",
        "New tenant, no smoke detectors in the apartment.",
        "Requesting a strobe smoke alarm, my father is deaf.",
    ),
    "SR-LI03": (
        "Front wall of the row home is bulging out toward the sidewalk.",
        "Bricks falling from the top of the building onto the sidewalk.",
        "House had a fire last week and the roof collapsed.",
        "Building next door is leaning against ours and cracks are spreading.",
    ),
    "SR-LI02": (
        "They are building a third floor with no permit posted.",
        "Demolition started next door, nobody posted a permit.",
        "Major renovation, I do not think they have permits.",
        "New house going up on the lot, looks bigger than allowed.",
    ),
    "SR-MI01": (
        "Fire hydrant has been open all day.",
        "Loud music from a house every night until 3 am.",
        "Question about a bill, caller asked for a follow-up.",
        "Bus shelter glass is shattered.",
    ),
    "SR-ST16": (
        "Street sign missing at the corner.",
        "Storm inlet clogged, water floods the corner every rain.",
        "Guardrail damaged by a crash.",
        "Curb broken and falling into the street.",
    ),
    "SR-LI28": (
        "Auto repair shop working out of a home garage.",
        "Corner store selling without a license posted.",
        "New billboard went up on the side of the building.",
        "Business operating in a residential zone.",
    ),
    "SR-ST08": (
        "Trash truck crew threw our cans into the street.",
        "City truck clipped my parked car and drove off.",
        "The pothole was marked as repaired but it is still there.",
        "Crew was rude to my elderly neighbor.",
    ),
    "SR-ST06": (
        "Alley light out behind our homes.",
        "Back alley is completely dark, the light has been out for weeks.",
        "Alley light flickering.",
    ),
}

# What agents record for an information contact (service SR-IR01).
INFORMATION_ANSWERS = (
    "Gave the trash and recycling collection day for the caller's block.",
    "Explained how to pay a parking ticket online or at the Parking Violations Branch.",
    "Explained how to apply for the Homestead Exemption on property taxes.",
    "Gave the hours and address of the Municipal Services Building concourse.",
    "Explained snow emergency routes and where to park during a snow emergency.",
    "Explained how to get a new recycling bin.",
    "Gave the status of the caller's existing service request.",
    "Explained the water bill assistance program (TAP) and how to apply.",
    "Gave the address and hours of the nearest sanitation convenience center.",
    "Explained block party permit requirements and deadlines.",
    "Gave the leaf collection schedule.",
    "Explained how to apply for a rental license.",
    "Explained how to report a problem in the Philly311 app.",
    "Explained where to get a copy of a property deed.",
    "Gave the schedule for free tax preparation sites.",
    "Explained the rules for sidewalk snow removal.",
    "Explained how to register a vacant property.",
    "Gave the location of the nearest cooling center.",
)

# What agents record for a directory assistance contact.
DIRECTORY_ANSWERS = (
    "Transferred the caller to the Water Revenue Bureau.",
    "Gave the phone number of the Department of Revenue.",
    "Connected the caller to the police non-emergency line.",
    "Gave the number for PGW customer service.",
    "Transferred the caller to the Office of Property Assessment.",
    "Gave the number for SEPTA customer service.",
    "Transferred the caller to the Philadelphia Parking Authority.",
    "Connected the caller to the Office of Homeless Services intake line.",
    "Gave the number of the caller's City Council district office.",
    "Transferred the caller to the Department of Records.",
)

# Public notes while a request is worked.
PROGRESS_NOTES = (
    "A crew has been scheduled for this location.",
    "An inspector has been assigned and will visit the location.",
    "Work order created; crews work through requests in the order received.",
    "The location has been inspected and the work is scheduled.",
)
ON_HOLD_NOTES = (
    "Waiting for a utility to mark its lines before work can begin.",
    "Waiting for the property owner to respond to a notice.",
    "Work is paused until the weather allows it.",
    "Waiting for parts to complete the repair.",
)
INTERNAL_NOTES = (
    "Inspected; needs a second visit with a larger crew.",
    "Checked the location, photos in the work order.",
    "Called the requester, no answer; left a message.",
    "Owner notified by mail.",
    "Added to next week's route.",
    "Crew could not reach the location, cars parked on both sides.",
)
REOPEN_NOTES = (
    "The resident reports the problem is back.",
    "The resident reports the work was not completed.",
)

# How a request ends. Close reasons are the City's own published notes.
REPAIR_SERVICES = frozenset({"SR-ST01", "SR-ST04", "SR-ST06", "SR-ST25", "SR-ST16"})
RESOLVED = "Issue Resolved"
REPAIRED = "Repair Completed"
NOT_FOUND = "Unable to find issue at location"
NOT_NEEDED = "Service Not Needed"
# Where some requests are referred, the public reason given, and how often.
REFERRALS: dict[str, tuple[str, float]] = {
    "SR-ST04": ("Referred to PECO", 0.08),  # many street lights stand on PECO's poles
    "SR-ST25": ("Referred to PennDOT", 0.04),  # signals on state roads
    "SR-ST01": ("Referred to the Water Department", 0.04),  # cave-ins over water mains and inlets
    "SR-PD01": ("Referred to the Philadelphia Parking Authority", 0.06),
    "SR-MI01": ("Referred to another agency", 0.15),
}
DEFAULT_REFERRAL = ("Referred to another agency", 0.01)
CANCEL_REASONS = ("Cancelled at the resident's request", "Entered in error")

FIRST_NAMES = (
    "James",
    "Maria",
    "Tyrone",
    "Linh",
    "Patrick",
    "Aisha",
    "Carlos",
    "Megan",
    "Darnell",
    "Olga",
    "Kevin",
    "Yolanda",
    "Jose",
    "Shanice",
    "Michael",
    "Mei",
    "Anthony",
    "Fatima",
    "Brian",
    "Gloria",
    "Hector",
    "Tamika",
    "Sean",
    "Nadia",
    "Luis",
    "Denise",
    "Ibrahim",
    "Colleen",
    "Andre",
    "Rosa",
)
LAST_NAMES = (
    "Johnson",
    "Rivera",
    "Nguyen",
    "Williams",
    "Murphy",
    "Brown",
    "Santiago",
    "Kowalski",
    "Jackson",
    "Ortiz",
    "Smith",
    "Davis",
    "Tran",
    "McCarthy",
    "Robinson",
    "Cruz",
    "Harris",
    "Diaz",
    "Kelly",
    "Washington",
    "Lopez",
    "Thompson",
    "Ali",
    "Sullivan",
    "Green",
    "Morales",
    "Walker",
    "Reyes",
    "O'Neill",
    "Coleman",
)

BUSINESS_NAMES = (
    "Lee's Deli",
    "Corner Market",
    "Tony's Pizza",
    "Golden Dragon",
    "Family Dollar",
    "Joe's Auto Body",
    "Rivera Grocery",
    "Broad St Laundromat",
    "Sunrise Nail Salon",
    "Philly Cheesesteak Co.",
)
VEHICLES = (
    "Silver Honda Civic, flat tires, covered in leaves.",
    "Black Ford Explorer, rear window smashed.",
    "White Chevy van, no plates, graffiti on the side.",
    "Red Toyota Camry, expired inspection sticker, two flat tires.",
    "Blue Nissan Altima, stripped, no wheels.",
    "Gray Dodge Caravan, parking tickets piling up on the windshield.",
    "Green Jeep Cherokee, hood open, engine missing.",
)
