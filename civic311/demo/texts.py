"""The words in the demo city's history: what residents write, what agents answer, what crews note.

Several variants of each, so that a list of requests reads like a real queue and not like a template.
"""

from __future__ import annotations

import random

# What residents write when they report, per service code. An empty description is common too.
_WRITTEN: dict[str, tuple[str, ...]] = {
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

# --- The many ways residents say it ---------------------------------------------------------------------
# The hand-written descriptions above read like a careful caller. Residents also write in a hurry, in
# Spanish, with slang, typos and no punctuation: each service's history mixes the written ones with
# descriptions put together from what people say (the problem, in their words) and how they frame it
# (where, since when, what they want), English and Spanish. Made once, the same on every run.
_SAYINGS_EN: dict[str, tuple[str, ...]] = {
    "SR-LI21": (
        "the yard next door is totally overgrown",
        "high grass and weeds all over the property",
        "landlord won't fix the broken windows",
        "rats coming from the house next door",
        "property is an eyesore, trash and weeds everywhere",
        "the house next door has holes in the roof and the owner does nothing",
        "overgrown bushes blocking the sidewalk from the property",
        "weeds up to my waist in the backyard of the rental",
        "rodents all over the yard of that property",
        "gutter falling off the front of the rental house",
        "owner lets the place rot, windows busted and garbage in the yard",
        "mold and garbage in the back yard of the occupied house",
        "the porch roof is sagging and nobody maintains the place",
        "grass hasn't been cut all summer at the house on the corner",
        "bad property upkeep, rats and junk piled in the yard",
    ),
    "SR-ST03": (
        "trash wasn't picked up",
        "they missed our trash pickup",
        "recycling didn't get collected",
        "garbage still sitting at the curb from pickup day",
        "trash truck never came down our street",
        "missed pickup on our block again",
        "our trash day was yesterday and the bags are still out",
        "the recycling truck skipped us",
        "rubbish collection missed the whole block",
        "sanitation didn't take our trash this week",
        "trash collection is late again, cans overflowing",
        "they took the trash but left all the recycling",
        "bins still full, nobody emptied them",
        "missed collection, bags ripped open by cats",
    ),
    "SR-ST02": (
        "someone dumped a bunch of trash in the alley",
        "illegal dumping on the corner",
        "people keep dumping tires here",
        "a whole pile of construction debris was dumped on the street",
        "mattress and couch dumped on the sidewalk",
        "short dumping behind the rec center",
        "contractors dumping drywall and bags at night",
        "somebody dumped old furniture by the curb",
        "dumped trash bags piling up under the bridge",
        "people drive up and dump junk on our block",
        "a truck dumped rubble and wood on the side of the road",
        "refrigerator and tv dumped in the alley",
        "dumpers left a mountain of trash by the tracks",
    ),
    "SR-PD01": (
        "abandoned car on our street",
        "car hasn't moved in weeks",
        "junk car with flat tires and no plates",
        "abandoned vehicle parked for months",
        "van sitting here forever with expired tags",
        "stripped car left on the block",
        "an old truck nobody owns has been parked here since spring",
        "car with broken windows abandoned in front of my house",
        "someone left a car here with no tags, it never moves",
        "burned out car on the corner",
        "abandoned auto covered in tickets",
        "vehicle with no registration sitting for two months",
    ),
    "SR-ST01": (
        "huge pothole in the street",
        "pot hole in the road",
        "big hole in the road damaging cars",
        "the street is caving in",
        "sinkhole opening up in the road",
        "manhole cover is loose",
        "deep pothole busted my tire",
        "road is full of potholes",
        "crater in the middle of the lane",
        "broken utility cover in the street",
        "sunken patch in the road where they dug",
        "the asphalt is crumbling and there is a big hole",
        "potholes everywhere on this street, cars swerve",
        "road damage after the water main work",
    ),
    "SR-CL01": (
        "graffiti on the wall",
        "someone spray painted our building",
        "tags all over the garage doors",
        "graffitti on the store gate",
        "vandals painted graffiti on the mural",
        "spray paint on the school fence",
        "gang tags on the side of the house",
        "graffiti on the mailbox and the bus stop",
        "writing sprayed on the bridge wall",
        "graffiti keeps coming back on this wall",
        "offensive graffiti on the playground",
        "paint tags on my front door",
    ),
    "SR-ST18": (
        "street is a sheet of ice",
        "road needs salt",
        "nobody salted our street",
        "icy street, cars sliding everywhere",
        "black ice on the hill",
        "the road is frozen and hasn't been treated",
        "snow and ice on the street, please send a salt truck",
        "salt truck never came, the street is an ice rink",
        "bridge is icy and dangerous",
        "ice all over the intersection, no salt",
        "cars can't make it up the hill because of ice",
    ),
    "SR-ST04": (
        "street light is out",
        "streetlight not working",
        "the lamp post light is out",
        "street lamp flickering all night",
        "light pole out on our block",
        "the street light on the corner is dark",
        "streetlight keeps going on and off",
        "street light out, block is pitch black",
        "the light on the pole in front of my house is broken",
        "street light burned out",
        "streetlight on during the day and off at night",
        "two street lights out in a row",
        "no street lights working on the whole block",
    ),
    "SR-CL02": (
        "vacant lot full of trash",
        "empty lot is overgrown with weeds",
        "the vacant lot needs to be cleaned",
        "lot next to my house is a dump",
        "trash and high weeds on the empty lot",
        "abandoned lot full of junk and rats",
        "nobody cleans the vacant lot on the corner",
        "the empty lot has grass taller than me",
        "vacant land covered in garbage and tires",
        "overgrown empty lot where the house was torn down",
    ),
    "SR-LI27": (
        "vacant house is wide open",
        "abandoned house with the door open",
        "squatters in the empty house",
        "empty building not sealed, people going in",
        "the abandoned property needs to be boarded up",
        "vacant home with broken windows and open doors",
        "empty storefront open to anyone",
        "abandoned house next door, kids going inside",
        "vacant building unsecured, boards torn off",
        "nobody lives in that house and the back is open",
        "empty rowhome being used by squatters",
    ),
    "SR-ST19": (
        "dumpster is overflowing",
        "restaurant dumpster overflowing onto the sidewalk",
        "dumpster with no lid, trash blowing everywhere",
        "the business leaves its dumpster open",
        "dumpster blocking the sidewalk",
        "trash put out days before collection",
        "neighbors put their trash out too early",
        "store's dumpster smells and attracts rats",
        "commercial dumpster never emptied",
        "bags piled next to the full dumpster behind the store",
        "dumpster left in the street without a permit",
    ),
    "SR-ST25": (
        "traffic light is out",
        "traffic signal not working",
        "the light at the intersection is dark",
        "stop light stuck on red",
        "traffic lights flashing at a busy corner",
        "signal is out and cars are not stopping",
        "the traffic light is knocked down",
        "walk signal and traffic light both dead",
        "traffic signal turned the wrong way",
        "all the traffic lights are out, dangerous intersection",
        "red light stays red forever",
        "green light never comes on",
    ),
    "SR-LI06": (
        "construction crew working too early",
        "construction site is a mess",
        "jackhammers at 6 in the morning",
        "construction site without a permit posted",
        "scaffolding looks unsafe",
        "construction debris all over the street from the site",
        "builders blocking the sidewalk with no detour",
        "construction noise on sunday",
        "the construction site has no fence",
        "contractor working late at night",
        "construction dust everywhere from the job site",
    ),
    "SR-PR08": (
        "tree branch fell on the street",
        "dead tree about to fall",
        "tree limb hanging over the sidewalk",
        "tree fell down in the storm",
        "branches blocking the road",
        "the street tree needs trimming",
        "tree roots lifting the sidewalk",
        "tree is leaning on the wires",
        "big branch cracked and dangling",
        "please plant a street tree",
        "stump left where the tree was cut",
        "overgrown tree covering the street light",
        "fallen tree blocking the street",
    ),
    "SR-FD02": (
        "need a smoke detector",
        "smoke alarm not working",
        "can i get a free smoke alarm",
        "smoke detector keeps beeping and needs replacing",
        "no smoke detectors in my apartment",
        "requesting smoke alarms for my home",
        "my grandmother needs a smoke detector installed",
        "the fire alarm in the house is broken",
        "need a smoke detector for a deaf person",
        "carbon monoxide and smoke detector needed",
    ),
    "SR-LI03": (
        "building is about to collapse",
        "wall is cracking and bulging",
        "bricks falling off the building",
        "house is leaning",
        "dangerous building, roof caved in",
        "the front of the building is falling apart",
        "chimney about to fall onto the sidewalk",
        "fire damaged house could collapse",
        "cracks in the wall getting bigger",
        "unsafe structure, pieces falling on people",
        "the porch collapsed and the house looks unstable",
    ),
    "SR-LI02": (
        "construction without a permit",
        "they are adding a floor with no permit",
        "illegal construction next door",
        "building an addition without permits",
        "demolition with no permit",
        "work being done without a building permit",
        "they're renovating without permits and no inspection",
        "new deck going up without a permit",
        "illegal conversion into apartments",
        "building taller than allowed",
    ),
    "SR-MI01": (
        "fire hydrant is open",
        "loud music every night",
        "bus shelter is broken",
        "water running from the hydrant",
        "noise from the neighbors all night",
        "i have a general question for the city",
        "something is wrong and i don't know who to call",
        "broken bench at the bus stop",
        "loud parties every weekend",
        "hydrant leaking into the street",
    ),
    "SR-ST16": (
        "street sign is missing",
        "stop sign knocked down",
        "storm drain is clogged",
        "inlet clogged and street floods",
        "guardrail is damaged",
        "curb is broken",
        "street sign bent over",
        "storm inlet backed up with leaves",
        "the street floods every time it rains",
        "speed bump is damaged",
        "street name sign fell down",
    ),
    "SR-LI28": (
        "business running out of a house",
        "illegal business in a residential area",
        "auto shop operating from a garage",
        "store with no business license",
        "illegal billboard on the building",
        "they run a business from their home with customers all day",
        "zoning violation, commercial use on a residential block",
        "unlicensed daycare next door",
        "car repair on the street every day",
        "a bar opened without a zoning permit",
    ),
    "SR-ST08": (
        "trash crew threw our cans in the street",
        "city truck damaged my car",
        "the crew was rude",
        "pothole marked fixed but it isn't",
        "complaint about the streets department",
        "sanitation workers left trash all over",
        "my request was closed but nothing was done",
        "city workers broke my fence",
        "the street crew left a mess",
        "the trash men were very disrespectful",
        "street repair was done badly",
    ),
    "SR-ST06": (
        "alley light is out",
        "the light in the alley doesn't work",
        "back alley is dark",
        "alley light flickering",
        "light behind our houses is out",
        "alleyway is pitch black, the light is broken",
        "the alley lamp burned out",
        "driveway light in the back is out",
        "no light in the alley, not safe at night",
    ),
}

_SAYINGS_ES: dict[str, tuple[str, ...]] = {
    "SR-LI21": (
        "la casa de al lado tiene la hierba muy alta",
        "el patio del vecino esta lleno de maleza y ratas",
        "el dueño no arregla las ventanas rotas",
        "la propiedad esta abandonada por dentro, basura y yerba",
        "hay ratas saliendo de la casa de al lado",
        "el casero no hace nada, el techo se cae",
        "la propiedad esta muy descuidada",
        "el zacate esta altisimo en esa casa",
    ),
    "SR-ST03": (
        "no recogieron la basura",
        "el camion de la basura no paso",
        "no recogieron el reciclaje",
        "la basura sigue en la acera desde el dia de recoleccion",
        "se saltaron nuestra cuadra otra vez",
        "no se llevaron los botes de basura",
        "la recoleccion de basura no vino esta semana",
        "llevan dos semanas sin recoger la basura",
    ),
    "SR-ST02": (
        "alguien tiro basura en el callejon",
        "tiraron colchones y muebles en la esquina",
        "estan tirando llantas en la calle",
        "dejaron escombros de construccion en la acera",
        "vertido ilegal de basura detras de la escuela",
        "tiraron un sofa y bolsas de basura en la banqueta",
        "la gente viene de noche a tirar basura",
        "botaron un refrigerador en el callejon",
    ),
    "SR-PD01": (
        "carro abandonado en mi calle",
        "hay un carro que no se mueve hace semanas",
        "vehiculo abandonado sin placas",
        "un auto con las llantas ponchadas lleva meses aqui",
        "coche abandonado con los vidrios rotos",
        "una camioneta abandonada frente a mi casa",
        "carro sin registracion estacionado hace meses",
    ),
    "SR-ST01": (
        "hay un bache enorme en la calle",
        "baches por toda la calle",
        "un hoyo grande en la calle",
        "la calle se esta hundiendo",
        "hay un socavon en la calle",
        "la tapa de la alcantarilla esta suelta",
        "el bache daño mi llanta",
        "hoyo en el pavimento muy peligroso",
    ),
    "SR-CL01": (
        "grafiti en la pared",
        "pintaron grafiti en mi casa",
        "hay pintadas en la puerta del garaje",
        "pintaron con spray la tienda de la esquina",
        "grafitis en la cerca de la escuela",
        "rayaron la pared con pintura",
        "hay grafiti en el buzon y la parada",
    ),
    "SR-ST18": (
        "la calle esta congelada",
        "hay hielo en la calle y nadie echo sal",
        "necesitamos sal en la calle",
        "la calle parece una pista de hielo",
        "los carros se resbalan por el hielo",
        "la loma esta llena de hielo",
        "no han pasado a echar sal",
    ),
    "SR-ST04": (
        "la luz de la calle no sirve",
        "el poste de luz esta apagado",
        "la farola no funciona",
        "el alumbrado publico esta fundido",
        "la lampara de la calle parpadea toda la noche",
        "la cuadra esta oscura, no hay luz en el poste",
        "se fundio la luz del poste frente a mi casa",
        "las luces de la calle estan apagadas",
    ),
    "SR-CL02": (
        "el lote vacio esta lleno de basura",
        "el terreno baldio tiene la hierba muy alta",
        "hay que limpiar el lote abandonado",
        "el solar vacio es un basurero",
        "el lote baldio tiene ratas y maleza",
        "nadie limpia el terreno vacio de la esquina",
    ),
    "SR-LI27": (
        "casa abandonada con la puerta abierta",
        "la casa vacia esta abierta y entra gente",
        "hay gente viviendo en la casa abandonada",
        "edificio vacio sin sellar",
        "la casa abandonada necesita tablas en las ventanas",
        "el local vacio esta abierto",
        "casa desocupada con ventanas rotas y okupas",
    ),
    "SR-ST19": (
        "el contenedor de basura esta desbordado",
        "el dumpster del restaurante esta lleno y rebosando",
        "el contenedor no tiene tapa y la basura vuela",
        "el contenedor bloquea la acera",
        "los vecinos sacan la basura dias antes",
        "el basurero del negocio huele horrible",
    ),
    "SR-ST25": (
        "el semaforo no funciona",
        "el semaforo esta apagado",
        "el semaforo se quedo en rojo",
        "las luces del semaforo parpadean",
        "semaforo dañado en el cruce",
        "no sirve el semaforo y los carros no paran",
        "el semaforo esta tumbado",
    ),
    "SR-LI06": (
        "la obra empieza a trabajar muy temprano",
        "la construccion hace ruido a las 6 de la mañana",
        "el andamio se ve peligroso",
        "la obra deja escombros en toda la calle",
        "la construccion bloquea la acera",
        "la obra no tiene permiso visible",
        "trabajan en la construccion de noche",
    ),
    "SR-PR08": (
        "se cayo una rama del arbol",
        "el arbol esta muerto y se va a caer",
        "una rama grande cuelga sobre la acera",
        "el arbol se cayo con la tormenta",
        "ramas bloqueando la calle",
        "hay que podar el arbol",
        "las raices del arbol levantan la acera",
        "quisiera que planten un arbol en mi calle",
    ),
    "SR-FD02": (
        "necesito un detector de humo",
        "la alarma de humo no funciona",
        "no tengo detectores de humo en mi apartamento",
        "quiero pedir una alarma de humo gratis",
        "el detector de humo pita y esta dañado",
        "mi mama necesita un detector de humo",
    ),
    "SR-LI03": (
        "el edificio se va a caer",
        "la pared tiene grietas y se esta abombando",
        "se caen ladrillos del edificio",
        "la casa esta inclinada y es peligrosa",
        "edificio peligroso, el techo se derrumbo",
        "la fachada se esta cayendo a pedazos",
    ),
    "SR-LI02": (
        "construyen sin permiso",
        "estan agregando un piso sin permiso",
        "obra ilegal en la casa de al lado",
        "estan remodelando sin permisos",
        "demolicion sin permiso",
        "construccion ilegal sin licencia",
    ),
    "SR-MI01": (
        "la boca de incendio esta abierta",
        "musica alta todas las noches",
        "la parada del autobus esta rota",
        "el hidrante esta echando agua",
        "mucho ruido de los vecinos",
        "tengo una pregunta general",
    ),
    "SR-ST16": (
        "falta la señal de la calle",
        "tumbaron la señal de alto",
        "la alcantarilla esta tapada",
        "la calle se inunda cuando llueve",
        "la baranda esta dañada",
        "el bordillo esta roto",
    ),
    "SR-LI28": (
        "negocio funcionando en una casa",
        "negocio ilegal en zona residencial",
        "taller mecanico en el garaje de una casa",
        "tienda sin licencia",
        "cartel publicitario ilegal en el edificio",
        "arreglan carros en la calle todos los dias",
    ),
    "SR-ST08": (
        "los trabajadores de la basura tiraron los botes en la calle",
        "un camion de la ciudad choco mi carro",
        "la cuadrilla fue muy grosera",
        "dicen que arreglaron el bache pero sigue ahi",
        "queja sobre el departamento de calles",
        "cerraron mi reporte y no hicieron nada",
    ),
    "SR-ST06": (
        "la luz del callejon no sirve",
        "el callejon esta oscuro",
        "la lampara del callejon parpadea",
        "no hay luz en el callejon de atras",
        "se fundio la luz del callejon",
    ),
}

_OPENERS_EN = (
    "",
    "",
    "",
    "",
    "Hi, ",
    "Hello, ",
    "Hi 311, ",
    "Good morning, ",
    "Please help, ",
    "Hey ",
    "FYI ",
    "Reporting that ",
    "I want to report ",
    "Just letting you know ",
    "Again, ",
)
_OPENERS_ES = (
    "",
    "",
    "",
    "Hola, ",
    "Buenos dias, ",
    "Buenas, ",
    "Por favor, ",
    "Quiero reportar que ",
    "Les escribo porque ",
    "Otra vez, ",
)
_WHERE_EN = (
    "",
    "",
    "",
    " on our block",
    " in front of my house",
    " at the corner",
    " on my street",
    " near the school",
    " by the park",
    " across the street",
    " down the block",
    " next to the church",
    " outside the corner store",
    " on the 1500 block",
    " near the bus stop",
)
_WHERE_ES = (
    "",
    "",
    "",
    " en mi cuadra",
    " frente a mi casa",
    " en la esquina",
    " en mi calle",
    " cerca de la escuela",
    " al lado del parque",
    " cruzando la calle",
    " cerca de la parada",
)
_SINCE_EN = (
    "",
    "",
    "",
    " for two weeks",
    " since last month",
    " for days now",
    " since monday",
    " for over a week",
    " all month",
    " since the storm",
    " again",
)
_SINCE_ES = (
    "",
    "",
    "",
    " desde hace dos semanas",
    " desde el mes pasado",
    " hace dias",
    " desde el lunes",
    " otra vez",
    " hace mas de una semana",
)
_ASK_EN = (
    "",
    "",
    "",
    ". Please send someone.",
    ". Please fix it.",
    ". It's dangerous.",
    ". Kids walk by here.",
    " pls fix",
    " thx",
    ". Thank you.",
    "!!",
    ". Can someone come out?",
    ". This is ridiculous.",
    ". I called before and nothing happened.",
    ". Please take care of it asap",
)
_ASK_ES = (
    "",
    "",
    "",
    ". Por favor manden a alguien.",
    ". Por favor arreglenlo.",
    ". Es peligroso.",
    ". Los niños pasan por aqui.",
    " gracias",
    ". Ya llame antes y nada.",
    "!!",
    ". Urgente por favor",
)


def _typo(rng: random.Random, text: str) -> str:
    """One slip of the thumb: a letter dropped, doubled or two swapped, in one longer word."""
    words = text.split(" ")
    long_ones = [i for i, word in enumerate(words) if len(word) > 4 and word.isalpha()]
    if not long_ones:
        return text
    i = rng.choice(long_ones)
    word, at = words[i], rng.randrange(1, len(words[i]) - 1)
    slip = rng.randrange(3)
    if slip == 0:
        word = word[:at] + word[at + 1 :]
    elif slip == 1:
        word = word[:at] + word[at] + word[at:]
    else:
        word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
    words[i] = word
    return " ".join(words)


def _said(rng: random.Random, saying: str, spanish: bool) -> str:
    opener = rng.choice(_OPENERS_ES if spanish else _OPENERS_EN)
    text = (
        opener
        + saying
        + rng.choice(_WHERE_ES if spanish else _WHERE_EN)
        + rng.choice(_SINCE_ES if spanish else _SINCE_EN)
        + rng.choice(_ASK_ES if spanish else _ASK_EN)
    )
    if rng.random() < 0.6:
        text = text[0].upper() + text[1:]
    style = rng.random()
    if style < 0.25:
        text = _typo(rng, text)
    elif style < 0.32:
        text = text.upper()
    elif style < 0.5:
        text = text.lower().replace(",", "").replace(".", "")
    return " ".join(text.split())


def _sayings(code: str, *, count: int = 160, seed: int = 19) -> tuple[str, ...]:
    """`count` descriptions of `code`'s problem, about a third in Spanish, each different."""
    rng = random.Random(f"{seed}-{code}")
    english, spanish = _SAYINGS_EN.get(code, ()), _SAYINGS_ES.get(code, ())
    made: dict[str, None] = {}
    for _ in range(count * 3):
        if len(made) >= count or not (english or spanish):
            break
        in_spanish = bool(spanish) and (not english or rng.random() < 0.33)
        made[_said(rng, rng.choice(spanish if in_spanish else english), in_spanish)] = None
    return tuple(made)


DESCRIPTIONS: dict[str, tuple[str, ...]] = {code: written + _sayings(code) for code, written in _WRITTEN.items()}


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
