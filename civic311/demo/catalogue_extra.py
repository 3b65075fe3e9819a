"""What the demo city adds to Philadelphia's published catalogue (`data/philly_services.csv`).

The CSV gives codes, names, departments, groups and SLA notices. This module gives the rest a resident
and an agent see: the words residents use, a description, the questions asked when reporting (covering
all six Open311 datatypes), routing rules, departments' point persons and hours, and Spanish.

Point persons, e-mail addresses and phone numbers are invented. Anything that could send mail uses the
reserved domain example.org, and phone numbers use the fictional 555-01xx range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# The CSV has no code for Directory Assistance (the City's data leaves it blank); the demo gives it a
# local code so it can be a catalogue entry that information contacts point at.
DIRECTORY_ASSISTANCE_CODE = "INFO-DIRECTORY"
INFORMATION_SERVICE_NAMES = frozenset({"Information Request", "Directory Assistance"})

# Services the demo gives an around-the-clock SLA in hours. The CSV says "1 Business Days" for both, but
# those are `demo` values, not the City's published figures, and neither job can wait for Monday: a dark
# signal or an icy hill on a Saturday is handled that Saturday.
HOURLY_SLAS = {"SR-ST25": 4, "SR-ST18": 24}

# The contact center's staff are the agents who take calls, walk-ins, e-mails and social posts.
CONTACT_CENTER = "Philly311 Contact Center"

WEEKDAYS = "0,1,2,3,4"
EVERY_DAY = "0,1,2,3,4,5,6"


@dataclass(frozen=True)
class DepartmentExtra:
    email_alias: str
    point_person: str
    phone: str
    spanish_name: str
    opens_at: dt.time = dt.time(8, 30)
    closes_at: dt.time = dt.time(17, 0)
    open_weekdays: str = WEEKDAYS


# Keyed by the department name in the CSV.
DEPARTMENTS: dict[str, DepartmentExtra] = {
    CONTACT_CENTER: DepartmentExtra(
        "philly311", "Rosa Delgado", "215-555-0100", "Centro de Contacto Philly311",
        dt.time(8, 0), dt.time(20, 0)),
    "Licenses & Inspections": DepartmentExtra(
        "li", "Marcus Whitfield", "215-555-0110", "Departamento de Licencias e Inspecciones"),
    "Streets Department": DepartmentExtra(
        "streets", "Theresa Kowalski", "215-555-0120", "Departamento de Calles", dt.time(7, 0), dt.time(16, 0)),
    "Police Department": DepartmentExtra(
        "police", "Lt. Andre Jefferson", "215-555-0130", "Departamento de Policía",
        dt.time(0, 0), dt.time(23, 59), EVERY_DAY),
    "Community Life Improvement Program": DepartmentExtra(
        "clip", "Keisha Morgan", "215-555-0140", "Programa de Mejora de la Vida Comunitaria (CLIP)",
        dt.time(8, 0), dt.time(16, 30)),
    "Parks & Recreation": DepartmentExtra(
        "parks", "Daniel O'Brien", "215-555-0150", "Parques y Recreación", dt.time(8, 0), dt.time(16, 30)),
    "Fire Department": DepartmentExtra(
        "fire", "Capt. Luis Ortega", "215-555-0160", "Departamento de Bomberos",
        dt.time(0, 0), dt.time(23, 59), EVERY_DAY),
}

# A demo invention, not a real Philadelphia body: a neighborhood partner that takes Fishtown's graffiti
# jobs, to show a NEIGHBORHOOD routing rule at work.
PARTNER_DEPARTMENT_NAME = "Fishtown Community Graffiti Partnership"
PARTNER_DEPARTMENT = DepartmentExtra(
    "fishtown-graffiti", "Jamie Kowal", "215-555-0170", "Alianza Comunitaria contra el Grafiti de Fishtown",
    dt.time(9, 0), dt.time(17, 0), "0,1,2,3,4,5")

# Group names from the CSV, in the order residents see them, with their Spanish names.
GROUPS: dict[str, str] = {
    "Streets": "Calles",
    "Sanitation": "Basura y saneamiento",
    "Cleanliness": "Limpieza",
    "Traffic": "Tránsito",
    "Property": "Propiedades",
    "Vehicles": "Vehículos",
    "Parks and Trees": "Parques y árboles",
    "Safety": "Seguridad",
    "Other": "Otros",
    "Information": "Información",
}


@dataclass(frozen=True)
class Value:
    key: str
    name: str
    spanish: str


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    question: str
    spanish: str
    required: bool = False
    values: tuple[Value, ...] = ()
    help: str = ""
    help_spanish: str = ""
    # False for text that is only shown (Open311's `variable=false`), never answered.
    variable: bool = True


@dataclass(frozen=True)
class AnswerRule:
    """A HAZARD_ALERT or CANNED_ANSWER rule triggered by one answer."""

    kind: str
    attribute: str
    value: str
    message: str
    spanish: str


@dataclass(frozen=True)
class NeighborhoodRule:
    neighborhood: str  # slug
    department: str  # department name


@dataclass(frozen=True)
class ServiceExtra:
    spanish_name: str
    description: str
    spanish_description: str
    keywords: str
    attributes: tuple[Attribute, ...] = ()
    rules: tuple[AnswerRule | NeighborhoodRule, ...] = field(default=())


YES_NO = (Value("yes", "Yes", "Sí"), Value("no", "No", "No"))
YES_NO_UNKNOWN = (*YES_NO, Value("unknown", "I don't know", "No sé"))
PROPERTY_TYPES = (
    Value("residential", "Home or apartment building", "Vivienda o edificio de apartamentos"),
    Value("commercial", "Store, office or other business", "Tienda, oficina u otro negocio"),
)
POLE_HELP = "The letters and numbers on the small tag on the pole, e.g. S-12345."
POLE_HELP_ES = "Las letras y números de la pequeña placa del poste, p. ej. S-12345."

GAS_MESSAGE = "If you smell gas, leave the area and call 911 and PGW's gas emergency line now — do not use 311."
GAS_MESSAGE_ES = ("Si huele a gas, aléjese del lugar y llame ahora al 911 y a la línea de emergencias de gas "
                  "de PGW; no use el 311.")


SERVICES: dict[str, ServiceExtra] = {
    "SR-IR01": ServiceExtra(
        "Solicitud de información",
        "A question answered on the spot by the Philly311 contact center: trash and recycling days, city "
        "services and programs, permits, taxes, and where to go for help.",
        "Una pregunta que el centro de contacto Philly311 responde en el momento: días de recolección de "
        "basura y reciclaje, servicios y programas de la Ciudad, permisos, impuestos y adónde acudir.",
        "question, information, how do I, hours, trash day, where, phone number, help",
    ),
    DIRECTORY_ASSISTANCE_CODE: ServiceExtra(
        "Asistencia de directorio",
        "Phone numbers, addresses and transfers to City departments and partner agencies.",
        "Números de teléfono, direcciones y transferencias a los departamentos de la Ciudad y a otras agencias.",
        "phone number, transfer, department, office, address, who do I call",
    ),
    "SR-LI21": ServiceExtra(
        "Mantenimiento de propiedad residencial o comercial",
        "A house, apartment building or business that is not kept up: high weeds, broken windows or doors, "
        "rats, a damaged roof or walls, or trash piling up on the property. Licenses & Inspections "
        "inspects and can order the owner to make repairs.",
        "Una casa, un edificio de apartamentos o un negocio en mal estado: maleza alta, ventanas o puertas "
        "rotas, ratas, techo o paredes dañados, o basura acumulada en la propiedad. Licencias e "
        "Inspecciones inspecciona y puede ordenar al dueño que haga las reparaciones.",
        "weeds, high grass, broken window, rats, rodents, roof, property maintenance, landlord, eyesore",
        (
            Attribute("property_type", "singlevaluelist", "What kind of property is it?",
                      "¿Qué tipo de propiedad es?", required=True, values=PROPERTY_TYPES),
            Attribute("problems", "multivaluelist", "What is wrong with it?", "¿Qué problema tiene?",
                      required=True, values=(
                          Value("high_weeds", "High grass or weeds", "Hierba o maleza alta"),
                          Value("broken_windows", "Broken windows or doors", "Ventanas o puertas rotas"),
                          Value("rodents", "Rats or other pests", "Ratas u otras plagas"),
                          Value("exterior_damage", "Damaged roof, gutters or walls",
                                "Techo, canaletas o paredes dañados"),
                          Value("trash_on_property", "Trash piled up on the property",
                                "Basura acumulada en la propiedad"),
                      )),
        ),
    ),
    "SR-ST03": ServiceExtra(
        "Recolección de basura o reciclaje",
        "Trash or recycling was not collected on your block's collection day. Report it after 5 pm on "
        "collection day, so that crews still running late are not counted as a miss.",
        "No se recogió la basura o el reciclaje el día de recolección de su cuadra. Repórtelo después de "
        "las 5 p. m. del día de recolección, para no contar como omisión a las cuadrillas que van con retraso.",
        "missed trash, missed pickup, recycling not picked up, garbage, rubbish, trash day, bins",
        (
            Attribute("collection_notice", "string",
                      "Rubbish collection: put trash out by 7 am on your collection day.",
                      "Recolección de basura: saque la basura antes de las 7 a. m. el día de recolección.",
                      variable=False),
            Attribute("missed", "singlevaluelist", "What was missed?", "¿Qué no se recogió?", required=True,
                      values=(Value("trash", "Trash", "Basura"), Value("recycling", "Recycling", "Reciclaje"),
                              Value("both", "Trash and recycling", "Basura y reciclaje"))),
            Attribute("collection_day", "singlevaluelist", "What is your collection day?",
                      "¿Cuál es su día de recolección?", values=(
                          Value("monday", "Monday", "Lunes"), Value("tuesday", "Tuesday", "Martes"),
                          Value("wednesday", "Wednesday", "Miércoles"), Value("thursday", "Thursday", "Jueves"),
                          Value("friday", "Friday", "Viernes"),
                      )),
        ),
    ),
    "SR-ST02": ServiceExtra(
        "Vertido ilegal de basura",
        "Trash, furniture, tires, mattresses or construction debris dumped on a street, sidewalk, alley "
        "or lot. The Streets Department removes it and its Sanitation Enforcement unit looks for whoever "
        "dumped it.",
        "Basura, muebles, llantas, colchones o escombros tirados en una calle, acera, callejón o lote. El "
        "Departamento de Calles los retira y su unidad de control sanitario busca a quien los tiró.",
        "mattress, couch, tires, trash dumped, short dumping, furniture, debris, bags, illegal dumping, junk",
        (
            Attribute("material", "multivaluelist", "What was dumped?", "¿Qué tiraron?", required=True, values=(
                Value("mattress", "Mattresses", "Colchones"),
                Value("furniture", "Furniture", "Muebles"),
                Value("tires", "Tires", "Llantas"),
                Value("construction_debris", "Construction debris", "Escombros de construcción"),
                Value("household_trash", "Household trash", "Basura doméstica"),
            )),
            Attribute("amount", "singlevaluelist", "How much is there?", "¿Cuánto hay?", required=True, values=(
                Value("few_items", "A few bags or items", "Algunas bolsas u objetos"),
                Value("truckload", "About a pickup truck load", "Más o menos lo que cabe en una camioneta"),
                Value("large", "More than a truckload", "Más de una camioneta llena"),
            )),
            Attribute("seen_dumping", "singlevaluelist", "Did you see who dumped it?", "¿Vio quién lo tiró?",
                      values=YES_NO),
        ),
    ),
    "SR-PD01": ServiceExtra(
        "Vehículo abandonado",
        "A vehicle that has not moved for a long time, has no plate or an expired one, or is wrecked, "
        "stripped or on flat tires. The Police Department checks it and has it towed if it is abandoned.",
        "Un vehículo que no se ha movido en mucho tiempo, sin placa o con la placa vencida, o que está "
        "chocado, desmantelado o con las llantas desinfladas. El Departamento de Policía lo revisa y hace "
        "que lo remolquen si está abandonado.",
        "abandoned car, junk car, no plates, flat tires, hasn't moved, wrecked car, stripped, vehicle",
        (
            Attribute("plate", "string", "License plate number", "Número de placa",
                      help="Leave empty if there is no plate.", help_spanish="Déjelo vacío si no tiene placa."),
            Attribute("plate_state", "singlevaluelist", "Which state is the plate from?",
                      "¿De qué estado es la placa?", values=(
                          Value("pa", "Pennsylvania", "Pensilvania"), Value("nj", "New Jersey", "Nueva Jersey"),
                          Value("de", "Delaware", "Delaware"), Value("other", "Another state", "Otro estado"),
                          Value("none", "No plate", "Sin placa"),
                      )),
            Attribute("vehicle_description", "text", "Describe the vehicle: make, model, color and condition.",
                      "Describa el vehículo: marca, modelo, color y estado.", required=True),
            Attribute("last_moved", "datetime", "When did you last see it move?",
                      "¿Cuándo lo vio moverse por última vez?",
                      help="A date and time, e.g. 2025-03-14T09:00.",
                      help_spanish="Una fecha y hora, p. ej. 2025-03-14T09:00."),
        ),
    ),
    "SR-ST01": ServiceExtra(
        "Desperfecto en la calle",
        "A pothole, cave-in, sunken trench or broken utility cover in a City street. Potholes reported by "
        "2 pm are usually repaired within three business days.",
        "Un bache, un hundimiento, una zanja hundida o una tapa de registro rota en una calle de la Ciudad. "
        "Los baches reportados antes de las 2 p. m. se suelen reparar en tres días hábiles.",
        "pothole, hole in street, cave-in, sinkhole, manhole cover, road damage, sunken, street defect",
        (
            Attribute("defect_type", "singlevaluelist", "What kind of problem is it?", "¿Qué tipo de problema es?",
                      required=True, values=(
                          Value("pothole", "Pothole", "Bache"),
                          Value("cave_in", "Cave-in or sinkhole", "Hundimiento o socavón"),
                          Value("utility_cover", "Missing or broken utility cover",
                                "Tapa de registro rota o faltante"),
                          Value("trench", "Sunken trench or patch", "Zanja o parche hundido"),
                      )),
            Attribute("size_inches", "number", "About how wide is it, in inches?",
                      "¿Qué ancho tiene, aproximadamente, en pulgadas?",
                      help="A number, e.g. 12.", help_spanish="Un número, p. ej. 12."),
            Attribute("gas_smell", "singlevaluelist", "Do you smell gas near it?", "¿Huele a gas cerca?",
                      required=True, values=YES_NO),
        ),
        (AnswerRule("canned_answer", "gas_smell", "yes", GAS_MESSAGE, GAS_MESSAGE_ES),),
    ),
    "SR-CL01": ServiceExtra(
        "Eliminación de grafiti",
        "Graffiti on a building, garage door, fence, pole or sidewalk. The Graffiti Abatement Team removes "
        "it for free from the outside of homes and businesses, up to the first floor.",
        "Grafiti en un edificio, puerta de garaje, cerca, poste o acera. El equipo de eliminación de grafiti "
        "lo quita gratis del exterior de casas y negocios, hasta la altura del primer piso.",
        "graffiti, tags, spray paint, vandalism, writing on wall, tagging",
        (
            Attribute("surface", "singlevaluelist", "Where is the graffiti?", "¿Dónde está el grafiti?",
                      required=True, values=(
                          Value("building_wall", "Wall of a house or building", "Pared de una casa o edificio"),
                          Value("garage_door", "Garage door or roll-down gate",
                                "Puerta de garaje o cortina metálica"),
                          Value("fence", "Fence or wall", "Cerca o muro"),
                          Value("street_furniture", "Pole, mailbox or bus shelter",
                                "Poste, buzón o parada de autobús"),
                          Value("sidewalk", "Sidewalk or street", "Acera o calle"),
                      )),
            Attribute("offensive", "singlevaluelist", "Is it hateful or offensive?", "¿Es ofensivo o de odio?",
                      values=YES_NO),
        ),
        (NeighborhoodRule("fishtown", PARTNER_DEPARTMENT_NAME),),
    ),
    "SR-ST18": ServiceExtra(
        "Salado de calles",
        "An icy or snow-covered City street that needs salt. Main streets, bus routes, hills and bridges "
        "come first; sidewalks are the property owner's job.",
        "Una calle de la Ciudad con hielo o nieve que necesita sal. Primero se atienden las calles "
        "principales, las rutas de autobús, las cuestas y los puentes; las aceras son responsabilidad del "
        "dueño de la propiedad.",
        "ice, icy street, snow, salt, slippery, black ice, plow, snow emergency",
        (
            Attribute("location_type", "singlevaluelist", "What kind of street is it?", "¿Qué tipo de calle es?",
                      required=True, values=(
                          Value("main_street", "Main street or bus route", "Calle principal o ruta de autobús"),
                          Value("hill", "Hill or steep street", "Cuesta o calle empinada"),
                          Value("bridge", "Bridge or overpass", "Puente o paso elevado"),
                          Value("school_hospital", "Near a school or hospital", "Cerca de una escuela u hospital"),
                          Value("residential", "Residential block", "Cuadra residencial"),
                      )),
        ),
    ),
    "SR-ST04": ServiceExtra(
        "Alumbrado público apagado",
        "A street light that is out, flickers, stays on during the day, or whose pole is down or leaning. "
        "Some lights belong to PECO; the City refers those to it.",
        "Una farola apagada, que parpadea, que se queda encendida de día o cuyo poste está caído o "
        "inclinado. Algunas luces son de PECO; la Ciudad le remite esos casos.",
        "street light, light out, dark street, lamp post, flickering light, streetlight, pole",
        (
            Attribute("pole_number", "string", "Pole number", "Número del poste", help=POLE_HELP,
                      help_spanish=POLE_HELP_ES),
            Attribute("problem", "singlevaluelist", "What is wrong with the light?", "¿Qué le pasa a la luz?",
                      required=True, values=(
                          Value("out", "Light is out", "La luz está apagada"),
                          Value("flickering", "Light flickers or cycles on and off",
                                "La luz parpadea o se prende y apaga"),
                          Value("day_burner", "Light stays on during the day", "La luz se queda encendida de día"),
                          Value("knocked_down", "Pole knocked down or leaning", "Poste caído o inclinado"),
                      )),
        ),
    ),
    "SR-CL02": ServiceExtra(
        "Limpieza de lote baldío",
        "A vacant lot full of weeds, trash or dumped items. CLIP cites the owner and, if the owner does "
        "not act, cleans the lot and bills them.",
        "Un lote baldío lleno de maleza, basura u objetos tirados. CLIP cita al dueño y, si no actúa, limpia "
        "el lote y le cobra.",
        "vacant lot, empty lot, overgrown, weeds, trash in lot, rats, abandoned lot",
        (
            Attribute("problems", "multivaluelist", "What is on the lot?", "¿Qué hay en el lote?",
                      required=True, values=(
                          Value("high_weeds", "High grass or weeds", "Hierba o maleza alta"),
                          Value("trash", "Trash and litter", "Basura"),
                          Value("dumping", "Dumped furniture, tires or debris",
                                "Muebles, llantas o escombros tirados"),
                          Value("rodents", "Rats", "Ratas"),
                      )),
            Attribute("fenced", "singlevaluelist", "Is the lot fenced?", "¿El lote está cercado?",
                      values=YES_NO_UNKNOWN),
        ),
    ),
    "SR-LI27": ServiceExtra(
        "Casa o local comercial desocupado",
        "An empty house or commercial building that is open to trespassers or not kept up. Licenses & "
        "Inspections can order it sealed, or seal it and bill the owner.",
        "Una casa o un edificio comercial vacío que está abierto a intrusos o en mal estado. Licencias e "
        "Inspecciones puede ordenar que se selle, o sellarlo y cobrarle al dueño.",
        "vacant house, abandoned house, empty building, squatters, open door, boarded up, blight",
        (
            Attribute("open_to_trespass", "singlevaluelist", "Are doors or windows open so people can get in?",
                      "¿Hay puertas o ventanas abiertas por donde puede entrar la gente?", required=True,
                      values=YES_NO_UNKNOWN),
            Attribute("property_type", "singlevaluelist", "What kind of building is it?",
                      "¿Qué tipo de edificio es?", values=PROPERTY_TYPES),
        ),
    ),
    "SR-ST19": ServiceExtra(
        "Infracción de saneamiento o de contenedor",
        "A dumpster that overflows, has no lid or blocks the sidewalk, or trash put out on the wrong day. "
        "Sanitation Enforcement can warn and fine the owner.",
        "Un contenedor desbordado, sin tapa o que bloquea la acera, o basura sacada el día equivocado. La "
        "unidad de control sanitario puede advertir y multar al dueño.",
        "dumpster, overflowing dumpster, trash out early, restaurant trash, no lid, sanitation violation",
        (
            Attribute("violation", "singlevaluelist", "What is the problem?", "¿Cuál es el problema?",
                      required=True, values=(
                          Value("overflowing", "Dumpster overflowing", "Contenedor desbordado"),
                          Value("no_lid", "Dumpster lid open or missing", "Contenedor abierto o sin tapa"),
                          Value("blocking", "Dumpster blocking the sidewalk or street",
                                "Contenedor que bloquea la acera o la calle"),
                          Value("early_setout", "Trash put out on the wrong day",
                                "Basura sacada en un día que no corresponde"),
                      )),
            Attribute("business_name", "string", "Name of the business, if any", "Nombre del negocio, si lo hay"),
        ),
    ),
    "SR-ST25": ServiceExtra(
        "Emergencia de semáforo",
        "A traffic signal that is dark, flashing, stuck on one color, knocked down or turned the wrong "
        "way. Crews answer around the clock. If a crash has happened or someone is hurt, call 911.",
        "Un semáforo apagado, que parpadea, atascado en un color, derribado o mal orientado. Las cuadrillas "
        "atienden a toda hora. Si hubo un choque o hay heridos, llame al 911.",
        "traffic light, signal out, stop light, light not working, flashing red, intersection, signal",
        (
            Attribute("signal_state", "singlevaluelist", "What is the signal doing?", "¿Qué hace el semáforo?",
                      required=True, values=(
                          Value("dark", "Dark — no lights at all", "Apagado: sin ninguna luz"),
                          Value("flashing", "Flashing red or yellow", "Parpadea en rojo o amarillo"),
                          Value("stuck", "Stuck on one color", "Atascado en un solo color"),
                          Value("damaged", "Knocked down or turned the wrong way", "Derribado o mal orientado"),
                      )),
            Attribute("cross_street", "string", "Cross street", "Calle transversal"),
        ),
        (AnswerRule("hazard_alert", "signal_state", "dark",
                    "Traffic signal dark: send a crew now and ask the police district to direct traffic.",
                    "Semáforo apagado: envíe una cuadrilla ahora y pida al distrito de policía que dirija "
                    "el tránsito."),),
    ),
    "SR-LI06": ServiceExtra(
        "Grupo especial de obras en construcción",
        "A construction site working outside permitted hours, without a posted permit, with unsafe "
        "scaffolding or fencing, or leaving debris on the street. The Construction Site Task Force inspects.",
        "Una obra que trabaja fuera del horario permitido, sin permiso a la vista, con andamios o cercas "
        "inseguros, o que deja escombros en la calle. El grupo especial de obras inspecciona.",
        "construction, contractor, scaffolding, noise, working early, no permit, construction site, debris",
        (
            Attribute("issues", "multivaluelist", "What is happening at the site?", "¿Qué pasa en la obra?",
                      required=True, values=(
                          Value("after_hours", "Working outside permitted hours",
                                "Trabajos fuera del horario permitido"),
                          Value("no_permit", "No permit posted", "Sin permiso a la vista"),
                          Value("unsafe_scaffolding", "Unsafe scaffolding or fencing", "Andamio o cerca insegura"),
                          Value("debris", "Debris on the sidewalk or street", "Escombros en la acera o la calle"),
                          Value("blocked_sidewalk", "Sidewalk closed with no walkway",
                                "Acera cerrada sin paso peatonal"),
                      )),
            Attribute("observed_at", "datetime", "When did you see it?", "¿Cuándo lo vio?",
                      help="A date and time, e.g. 2025-03-14T06:30.",
                      help_spanish="Una fecha y hora, p. ej. 2025-03-14T06:30."),
        ),
    ),
    "SR-PR08": ServiceExtra(
        "Árboles en la calle",
        "A street tree that is down, dead or has a hanging limb, needs pruning away from lights, signs or "
        "wires, or a stump to remove; or a request for a new street tree.",
        "Un árbol de la calle caído, muerto o con una rama colgando, que necesita poda para despejar luces, "
        "señales o cables, o un tocón por quitar; o una solicitud de un árbol nuevo.",
        "tree down, fallen tree, branch, limb, dead tree, prune, stump, plant a tree, roots",
        (
            Attribute("request_type", "singlevaluelist", "What is needed?", "¿Qué se necesita?", required=True,
                      values=(
                          Value("fallen", "Tree or large limb down", "Árbol o rama grande caída"),
                          Value("hanging_limb", "Broken limb hanging", "Rama rota colgando"),
                          Value("dead", "Dead tree", "Árbol muerto"),
                          Value("pruning", "Needs pruning (blocking a light, sign or wires)",
                                "Necesita poda (tapa una luz, señal o cables)"),
                          Value("stump", "Stump to remove", "Tocón por quitar"),
                          Value("planting", "Request a new street tree", "Solicitar un árbol nuevo"),
                      )),
            Attribute("blocking", "singlevaluelist", "Is it blocking anything?", "¿Está bloqueando algo?",
                      values=(Value("street", "The street", "La calle"), Value("sidewalk", "The sidewalk", "La acera"),
                              Value("nothing", "Nothing", "Nada"))),
        ),
        (AnswerRule("hazard_alert", "blocking", "street", "Tree blocking the street: clear the roadway today.",
                    "Árbol que bloquea la calle: despeje la calzada hoy."),),
    ),
    "SR-FD02": ServiceExtra(
        "Detector de humo",
        "A free smoke alarm installed by the Fire Department in the home of a Philadelphia resident who "
        "does not have a working one. Alarms with strobes are available for people with hearing loss.",
        "Una alarma de humo gratuita que el Departamento de Bomberos instala en la vivienda de un residente "
        "de Filadelfia que no tiene una que funcione. Hay alarmas con luz estroboscópica para personas con "
        "pérdida auditiva.",
        "smoke detector, smoke alarm, fire alarm, free smoke detector, carbon monoxide, beeping",
        (
            Attribute("install_notice", "string",
                      "Someone 18 or older must be home when firefighters come to install the alarm.",
                      "Una persona mayor de 18 años debe estar en casa cuando los bomberos vengan a instalar "
                      "la alarma.", variable=False),
            Attribute("residents", "number", "How many people live in the home?",
                      "¿Cuántas personas viven en la vivienda?"),
            Attribute("hearing_loss", "singlevaluelist", "Does anyone in the home have hearing loss?",
                      "¿Alguien en la vivienda tiene pérdida auditiva?", values=YES_NO),
        ),
    ),
    "SR-LI03": ServiceExtra(
        "Edificio peligroso",
        "A building that may fall or has parts falling: leaning or bulging walls, a collapsed roof, loose "
        "bricks or fire damage. Licenses & Inspections inspects and can order repairs or demolition. If "
        "it is collapsing now, call 911.",
        "Un edificio que podría caerse o del que caen partes: paredes inclinadas o abombadas, techo "
        "derrumbado, ladrillos sueltos o daños por incendio. Licencias e Inspecciones inspecciona y puede "
        "ordenar reparaciones o la demolición. Si se está derrumbando ahora, llame al 911.",
        "dangerous building, collapse, falling bricks, leaning wall, unsafe building, fire damage, roof",
        (
            Attribute("occupied", "singlevaluelist", "Is anyone living in or using the building?",
                      "¿Hay alguien viviendo o usando el edificio?", required=True, values=YES_NO_UNKNOWN),
            Attribute("conditions", "multivaluelist", "What do you see?", "¿Qué ve?", values=(
                Value("leaning_wall", "Leaning or bulging wall", "Pared inclinada o abombada"),
                Value("collapsed_roof", "Roof collapsed", "Techo derrumbado"),
                Value("falling_masonry", "Loose or falling bricks", "Ladrillos sueltos o cayendo"),
                Value("fire_damage", "Fire damage", "Daños por incendio"),
            )),
        ),
        (AnswerRule("hazard_alert", "occupied", "yes", "Dangerous building reported as occupied: inspect today.",
                    "Edificio peligroso reportado como ocupado: inspeccionar hoy."),),
    ),
    "SR-LI02": ServiceExtra(
        "Construcción de edificios",
        "Building work that may be done without a permit or not as permitted: a new building, an "
        "addition, a demolition or a major renovation.",
        "Obras que podrían hacerse sin permiso o de forma distinta a la permitida: un edificio nuevo, una "
        "ampliación, una demolición o una renovación importante.",
        "construction without permit, addition, demolition, renovation, building work, contractor",
        (
            Attribute("work_type", "singlevaluelist", "What kind of work is it?", "¿Qué tipo de obra es?",
                      required=True, values=(
                          Value("new_building", "New building", "Edificio nuevo"),
                          Value("addition", "Addition or extra story", "Ampliación o piso adicional"),
                          Value("demolition", "Demolition", "Demolición"),
                          Value("renovation", "Renovation", "Renovación"),
                      )),
            Attribute("permit_posted", "singlevaluelist", "Is a permit posted?", "¿Hay un permiso a la vista?",
                      values=YES_NO_UNKNOWN),
        ),
    ),
    "SR-MI01": ServiceExtra(
        "Varios",
        "Anything the other services do not cover. The contact center reads it and sends it to the right "
        "department.",
        "Cualquier asunto que no cubran los demás servicios. El centro de contacto lo lee y lo envía al "
        "departamento que corresponde.",
        "other, something else, not listed, general, miscellaneous",
    ),
    "SR-ST16": ServiceExtra(
        "Otros (Calles)",
        "A street problem not listed elsewhere: a missing street sign, a broken guardrail, a blocked inlet.",
        "Un problema de la calle que no aparece en otra parte: un letrero de calle faltante, una baranda "
        "rota, un desagüe tapado.",
        "street sign, guardrail, inlet, drain, curb, street problem, other streets",
    ),
    "SR-LI28": ServiceExtra(
        "Zonificación de negocios",
        "A business operating without a license, in a place zoning does not allow, or with an illegal sign.",
        "Un negocio que funciona sin licencia, en un lugar donde la zonificación no lo permite, o con un "
        "letrero ilegal.",
        "zoning, business license, illegal business, sign, billboard, home business",
        (
            Attribute("issue", "singlevaluelist", "What is the problem?", "¿Cuál es el problema?", required=True,
                      values=(
                          Value("no_license", "Business operating without a license",
                                "Negocio que funciona sin licencia"),
                          Value("use_not_allowed", "Business not allowed at this address",
                                "Negocio no permitido en esta dirección"),
                          Value("signage", "Illegal sign or billboard", "Letrero o valla ilegal"),
                          Value("home_business", "Business run from a home", "Negocio que funciona en una vivienda"),
                      )),
            Attribute("business_name", "string", "Name of the business, if known",
                      "Nombre del negocio, si lo sabe"),
        ),
    ),
    "SR-ST08": ServiceExtra(
        "Queja (Calles)",
        "A complaint about the Streets Department's work: a crew's conduct, damage caused by a City "
        "vehicle, or a repair not done as promised.",
        "Una queja sobre el trabajo del Departamento de Calles: la conducta de una cuadrilla, daños causados "
        "por un vehículo municipal o una reparación que no se hizo como se prometió.",
        "complaint, crew, trash truck, damage, city vehicle, rude, streets complaint",
        (
            Attribute("about", "singlevaluelist", "What is the complaint about?", "¿Sobre qué es la queja?",
                      required=True, values=(
                          Value("crew_conduct", "Conduct of a City crew", "Conducta de una cuadrilla municipal"),
                          Value("vehicle_damage", "Damage caused by a City vehicle",
                                "Daños causados por un vehículo municipal"),
                          Value("missed_repair", "Repair not done as promised",
                                "Reparación no hecha como se prometió"),
                          Value("other", "Something else", "Otra cosa"),
                      )),
        ),
    ),
    "SR-ST06": ServiceExtra(
        "Luz de callejón apagada",
        "A City-maintained light in a residential alley or driveway that is out or flickering.",
        "Una luz de callejón o de entrada de vehículos mantenida por la Ciudad que está apagada o parpadea.",
        "alley light, driveway light, back alley dark, light out, alley",
        (
            Attribute("pole_number", "string", "Pole number", "Número del poste", help=POLE_HELP,
                      help_spanish=POLE_HELP_ES),
            Attribute("alley_between", "string", "Which streets is the alley between?",
                      "¿Entre qué calles está el callejón?"),
        ),
    ),
}
