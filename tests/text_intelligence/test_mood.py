"""The mood reader: kind (request, complaint, question, praise, other) and sentiment of a text, English and
Spanish, with the cues that decided it; bad input answered sensibly. The dev texts below are H2's own (not the
evaluation set): the rules must keep reading them right."""

from __future__ import annotations

import pytest
from django.utils import translation

from civic311.text_intelligence import mood
from civic311.text_intelligence.models import Sentiment, TextKind
from civic311.text_intelligence.mood import Mood, explain, guess_language, read_mood

# (text, language or None, kind, sentiment): H2's own dev texts, written for the mood reader.
DEV_TEXTS = [
    # plain requests: neutral
    ("There's a big pothole in front of 1234 Market St", None, "request", "neutral"),
    ("Street light out at 5th and Lehigh", None, "request", "neutral"),
    ("Abandoned car parked on my block for a while, silver honda no plates", None, "request", "neutral"),
    ("Illegal dumping in the alley behind Spruce St, mattresses and tires", None, "request", "neutral"),
    ("Please send someone to pick up the trash on Wharton St, it was missed this morning", None, "request", "neutral"),
    ("Graffiti on the wall of the rec center on Girard Ave", None, "request", "neutral"),
    ("Tree branch down blocking the sidewalk on Baltimore Ave", None, "request", "neutral"),
    ("The traffic signal at Broad & Olney is stuck on red", None, "request", "neutral"),
    ("Can someone please fix the broken street light on Pine St?", None, "request", "neutral"),
    ("vacant house at 2200 N 19th st doors open, people going in", None, "request", "neutral"),
    ("hydrant leaking on Oregon ave near the school", None, "request", "neutral"),
    ("Need a smoke detector for my mom's house in Kensington", None, "request", "neutral"),
    ("alley light out behind my house on Tasker", None, "request", "neutral"),
    ("Recycling not collected on our street this week", None, "request", "neutral"),
    ("Dumpster behind the restaurant overflowing onto the sidewalk", None, "request", "neutral"),
    ("Hay un bache enorme en la calle Front y Allegheny", None, "request", "neutral"),
    ("No recogieron la basura en la calle Mascher", None, "request", "neutral"),
    ("Por favor manden a alguien a quitar el carro abandonado en la 5 y Lehigh", None, "request", "neutral"),
    ("La luz del poste está apagada en la esquina de la B y Indiana", None, "request", "neutral"),
    ("Tiraron colchones y llantas en el callejón detrás de mi casa", None, "request", "neutral"),
    ("Hay grafiti en la pared de la escuela en la calle Cambria", None, "request", "neutral"),
    ("El semáforo de Broad y Erie no funciona", None, "request", "neutral"),
    ("Necesitamos que poden el árbol, las ramas tocan los cables", None, "request", "neutral"),
    ("Casa vacía con las puertas abiertas en la calle Somerset", None, "request", "neutral"),
    ("the sidewalk is icy in front of the library, not salted", None, "request", "neutral"),
    ("construction crew working after 9pm on Christian st, super loud", None, "request", "neutral"),
    ("dead rat in the street on Federal st", None, "request", "neutral"),
    ("Reporting a sinkhole on Ridge Ave near the bridge", None, "request", "neutral"),
    ("quiero reportar un hoyo grande en la acera", None, "request", "neutral"),
    ("pls pick up the bulk trash at 3rd and Dauphin thx", None, "request", "neutral"),
    # complaints: negative
    ("Third time calling about this pothole and NOBODY CAME!!!", None, "complaint", "negative"),
    ("Still waiting on the street light I reported 3 weeks ago", None, "complaint", "negative"),
    ("Trash missed AGAIN on our block. This is ridiculous.", None, "complaint", "negative"),
    ("I've called 311 five times about the abandoned car and nothing happens", None, "complaint", "negative"),
    ("You closed my request as completed but the graffiti is still there", None, "complaint", "negative"),
    ("The crew that came out was so rude to my elderly neighbor", None, "complaint", "negative"),
    ("Months of complaints about the vacant lot and the city doesn't care", None, "complaint", "negative"),
    ("nobody has come to fix the light in 2 weeks smh", None, "complaint", "negative"),
    ("Thanks for nothing 311, the dumping is still there", None, "complaint", "negative"),
    ("How long do we have to wait for someone to fix this?? it's been months", None, "complaint", "negative"),
    ("sick and tired of the trash never being picked up on time", None, "complaint", "negative"),
    ("Why does nobody ever respond to these reports? useless", None, "complaint", "negative"),
    ("Otra vez no recogieron la basura, ya van tres semanas", None, "complaint", "negative"),
    ("Llevo meses llamando y nadie vino a arreglar el bache", None, "complaint", "negative"),
    ("Es la tercera vez que reporto el carro abandonado y todavía está ahí", None, "complaint", "negative"),
    ("Pésimo servicio, nadie contesta y la luz sigue apagada", None, "complaint", "negative"),
    ("Estoy harta, el callejón sigue lleno de basura", None, "complaint", "negative"),
    ("Cerraron mi reporte como resuelto pero el grafiti sigue ahí", None, "complaint", "negative"),
    ("Los trabajadores fueron muy groseros con mi mamá", None, "complaint", "negative"),
    ("A nadie le importa nuestro barrio, no hacen nada", None, "complaint", "negative"),
    ("STILL NO TRASH PICKUP ON MY STREET. WHAT IS GOING ON", None, "complaint", "negative"),
    ("4th request for the same dead tree. It's going to fall on someone.", None, "complaint", "negative"),
    ("the city ignored us for weeks, this is unacceptable", None, "complaint", "negative"),
    ("¿Hasta cuándo vamos a esperar? Hace semanas que reportamos el semáforo", None, "complaint", "negative"),
    ("Ya basta, otra vez tiraron escombros y nadie hace nada", None, "complaint", "negative"),
    # questions: neutral
    ("What day is trash pickup on my street?", None, "question", "neutral"),
    ("How do I get a new recycling bin?", None, "question", "neutral"),
    ("Is there a way to track my request online?", None, "question", "neutral"),
    ("When does street sweeping start in South Philly?", None, "question", "neutral"),
    ("Where can I drop off old electronics", None, "question", "neutral"),
    ("Does anyone know if the sanitation centers are open on Saturday?", None, "question", "neutral"),
    ("¿Qué día pasa el camión de la basura en Fairhill?", None, "question", "neutral"),
    ("¿Cómo pido un detector de humo gratis?", None, "question", "neutral"),
    ("¿Dónde puedo dejar muebles viejos?", None, "question", "neutral"),
    ("Cuando abren las oficinas el lunes?", None, "question", "neutral"),
    ("Who do I call about a permit for a block party?", None, "question", "neutral"),
    ("Alguien sabe si hay recogida de basura el día feriado?", None, "question", "neutral"),
    # praise: positive
    ("Thank you Streets Dept for fixing the pothole so fast!", None, "praise", "positive"),
    ("Huge shoutout to the crew that cleaned up our alley today, great job", None, "praise", "positive"),
    ("The new street lights on our block look amazing, thanks 311", None, "praise", "positive"),
    ("Really appreciate how quickly the graffiti was removed. Well done!", None, "praise", "positive"),
    ("Kudos to the sanitation workers working in this heat 👏", None, "praise", "positive"),
    ("Muchas gracias por arreglar la luz tan rápido", None, "praise", "positive"),
    ("Felicidades a los trabajadores, la calle quedó muy limpia", None, "praise", "positive"),
    ("Excelente trabajo del equipo de 311, muy amables", None, "praise", "positive"),
    ("Gracias por quitar el carro abandonado 🙏", None, "praise", "positive"),
    ("thx for picking up the bulk trash so quick, you guys rock", None, "praise", "positive"),
    ("Finally the light got fixed, thank you!", None, "praise", "positive"),
    ("Mil gracias, el callejón se ve hermoso ahora", None, "praise", "positive"),
    # other: neutral (and a few with feelings)
    ("Good morning Philly!", None, "other", "positive"),
    ("hola", None, "other", "neutral"),
    ("", None, "other", "neutral"),
    ("😀😀😀", None, "other", "positive"),
    ("Get 10k free followers now, click here www.spam.example", None, "other", "neutral"),
    ("Watching the Eagles game tonight", None, "other", "neutral"),
    ("Buenas noches a todos", None, "other", "neutral"),
    ("Bonjour, je voudrais des informations", None, "other", "neutral"),
    # mixed, harder
    ("Thanks in advance, there's a dead tree leaning over the sidewalk on Walnut", None, "request", "neutral"),
    ("The pothole on Oregon is really dangerous, someone is going to get hurt", None, "request", "negative"),
    ("I'm scared to walk past the vacant house at night, people are doing drugs there", None, "request", "negative"),
    ("Thank you for finally fixing the light after 3 weeks", None, "praise", "positive"),
    ("Me da miedo pasar por la casa abandonada, por favor hagan algo", None, "request", "negative"),
    ("El árbol está por caerse, es muy peligroso", None, "request", "negative"),
    ("Rats everywhere from the overflowing dumpster, it's disgusting", None, "request", "negative"),
    ("Can you guys come clean the lot on 52nd? It's a mess", None, "request", "negative"),
]
# A second look, written after the first tuning (then tuned on once: see the docs for the numbers before).
FRESH = [
    ("yo the streetlight by my house been out forever, can yall fix it", None, "complaint", "negative"),
    ("big hole on Frankford Ave under the El, my tire popped", None, "request", "negative"),
    (
        "someone dumped a couch and like 20 bags of trash on the corner of Kensington and Somerset",
        None,
        "request",
        "neutral",
    ),
    (
        "Hi, I would like to report a car that hasn't moved in a month on Castor Ave. Thank you.",
        None,
        "request",
        "neutral",
    ),
    ("the trash truck skipped our whole street AGAIN wtf", None, "complaint", "negative"),
    ("Can I put my recycling out the night before?", None, "question", "neutral"),
    ("what are the hours for the sanitation convenience center", None, "question", "neutral"),
    ("shoutout to the guys who salted our street at 5am ❤️", None, "praise", "positive"),
    ("Love how clean Rittenhouse looks today", None, "praise", "positive"),
    ("My 311 request was closed but nobody fixed anything. Ridiculous.", None, "complaint", "negative"),
    ("The signal at 52nd and Market is flashing, cars almost crashed", None, "request", "negative"),
    ("graffiti tags all over the underpass at 30th st", None, "request", "neutral"),
    ("Vacant lot next to me is full of weeds and needles, kids play there", None, "request", "negative"),
    ("Is the city doing anything about the rats in Fishtown?", None, "question", "neutral"),
    (
        "This is the 5th time I report the same dumpster. Restaurant keeps leaving it open",
        None,
        "complaint",
        "negative",
    ),
    ("Bache gigante en la Roosevelt, casi me mato", None, "request", "negative"),
    ("buenos días, quería saber cuándo recogen los muebles", None, "question", "neutral"),
    ("gracias a los trabajadores de la ciudad por limpiar el parque", None, "praise", "positive"),
    ("la basura lleva dos semanas sin recogerse, qué asco", None, "complaint", "negative"),
    ("¿Por qué nadie arregla el semáforo de la 5? Es un peligro", None, "complaint", "negative"),
    ("Hay un carro abandonado frente a mi casa sin placas", None, "request", "neutral"),
    ("El árbol de la acera levantó todo el cemento", None, "request", "neutral"),
    ("Nadie contesta el teléfono del 311, llevo una hora esperando", None, "complaint", "negative"),
    ("excelente servicio, vinieron el mismo día 👍", None, "praise", "positive"),
    ("Necesito un contenedor nuevo de reciclaje, el mío se rompió", None, "request", "neutral"),
    ("Happy Thanksgiving everyone!", None, "other", "positive"),
    ("lol", None, "other", "neutral"),
    ("🔥🔥🔥", None, "other", "neutral"),
    ("Check out my new mixtape", None, "other", "neutral"),
    (
        (
            "The house next door has been open to the elements for years, roof caving in, "
            "I'm scared it'll collapse on my place"
        ),
        None,
        "complaint",
        "negative",
    ),
]


# A third look, written late and measured once before any tuning (kind 82.5 %, sentiment 85 %), then tuned on.
THIRD = [
    ("Sidewalk in front of 4410 Baltimore is all heaved up from the tree roots", None, "request", "neutral"),
    ("yo 311 the light on my corner keeps flickering on and off", None, "request", "neutral"),
    ("There is a couch, a fridge and a pile of drywall dumped at the end of our alley", None, "request", "neutral"),
    ("Please salt the hill on Ridge Ave, cars are sliding", None, "request", "negative"),
    ("smoke alarm chirping, I'm a senior and can't reach it, can the fire dept help?", None, "request", "neutral"),
    ("Hello, I'd like to request a new recycling bin, mine was stolen. Thanks", None, "request", "neutral"),
    ("dumpster at the pizza place never has its lid closed and it reeks", None, "request", "negative"),
    ("Car with 3 flat tires hasn't moved since summer on Tulip st", None, "request", "neutral"),
    ("Favor de recoger las ramas que dejó la tormenta en la calle Oxford", None, "request", "neutral"),
    ("El poste de luz de la esquina lleva parpadeando toda la semana", None, "request", "neutral"),
    ("Están construyendo sin permiso en la casa de al lado", None, "request", "neutral"),
    ("Ratas por todo el callejón, qué asco, por favor manden a alguien", None, "request", "negative"),
    ("I have reported this dumping FOUR times. Four. Nothing.", None, "complaint", "negative"),
    ("Your app says my pothole was fixed. It was not. Come look.", None, "complaint", "negative"),
    ("been waiting 2 months for a tree inspection, no call, no email, nothing", None, "complaint", "negative"),
    ("The worker who came out laughed at me and left. Unprofessional.", None, "complaint", "negative"),
    ("Every single week the recycling truck skips our block and every week I call", None, "complaint", "negative"),
    ("311 is a joke. Hold for 40 minutes to be told to call back", None, "complaint", "negative"),
    ("Ya van cuatro llamadas y el carro abandonado sigue ahí", None, "complaint", "negative"),
    ("Nadie de la ciudad ha venido a ver la casa que se está cayendo, tenemos miedo", None, "complaint", "negative"),
    ("Llamé tres veces al 311 y nadie me da respuesta sobre el semáforo", None, "complaint", "negative"),
    ("Estamos cansados de la basura en el lote, la ciudad no hace nada", None, "complaint", "negative"),
    ("Is bulk trash pickup free or do I need to pay?", None, "question", "neutral"),
    ("what's the number for the streets department", None, "question", "neutral"),
    ("Are leaf bags collected with regular trash in November?", None, "question", "neutral"),
    ("Can I get a copy of my building permit online?", None, "question", "neutral"),
    ("¿Cuál es el horario de la oficina de licencias?", None, "question", "neutral"),
    ("¿Se puede reciclar el vidrio en Filadelfia?", None, "question", "neutral"),
    ("Shout out to whoever patched Washington Ave, smooth ride now 🙌", None, "praise", "positive"),
    ("The 311 agent I spoke to today was so kind and patient. Thank you Maria!", None, "praise", "positive"),
    ("Impressed! Reported graffiti Monday, gone by Wednesday.", None, "praise", "positive"),
    ("Gracias a la agente que me atendió en español, muy amable", None, "praise", "positive"),
    ("¡Qué rápido quitaron el grafiti! Gracias 311", None, "praise", "positive"),
    ("Anyone else watching the parade today?", None, "question", "neutral"),
    ("RT if you love Philly", None, "other", "positive"),
    ("Follow me for daily crypto tips 🚀🚀", None, "other", "neutral"),
    ("👍", None, "other", "positive"),
    ("Hoy hace mucho frío en Filadelfia", None, "other", "neutral"),
    ("test", None, "other", "neutral"),
    ("ok", None, "other", "neutral"),
]


# A fourth look (issue 19's benchmark, in aggregate): danger and harm written without feeling words, impact,
# politeness in a plain report, sarcasm; and plain reports that must stay neutral. Written by H2, measured
# once before any change.
HARM = [
    # danger / safety / health / urgency, no feeling words: the writer is worried -> negative
    (
        "Live wire down and sparking on the sidewalk at 22nd and Tioga, kids walk here to school",
        None,
        "request",
        "negative",
    ),
    ("There's a downed power line across Wyalusing Ave, it's sparking", None, "request", "negative"),
    (
        "My elderly neighbor tripped on the broken sidewalk in front of 1510 S 6th St and hurt her wrist",
        None,
        "request",
        "negative",
    ),
    ("rats everywhere on our block, they run across the steps at night", None, "request", "negative"),
    ("The big oak in front of my house is about to fall on the house, the trunk is split", None, "request", "negative"),
    ("smell from the sewer is making people sick on Jasper St", None, "request", "negative"),
    ("Water main break flooding my basement at 3300 N Front St, need someone now", None, "request", "negative"),
    (
        "No streetlight on Lehigh between 4th and 5th and people get mugged there every week",
        None,
        "request",
        "negative",
    ),
    ("Open manhole in the middle of Castor Ave, no cover, cars swerving around it", None, "request", "negative"),
    ("hydrant open full blast and kids playing in the street with cars going by", None, "request", "negative"),
    ("Gas smell very strong outside 4500 Frankford Ave", None, "request", "negative"),
    ("a man is sleeping in the doorway and he's not moving, it's 15 degrees out", None, "request", "negative"),
    (
        "stop sign knocked down at Rhawn and Bustleton, cars blowing through the intersection",
        None,
        "request",
        "negative",
    ),
    (
        (
            "Dear 311,\nThe vacant house at 2611 N Hope St has a caved-in roof and the front wall is bulging out"
            " over the sidewalk where the kids wait for the bus. Please send an inspector.\nRegards, T. Nguyen"
        ),
        None,
        "request",
        "negative",
    ),
    ("syringes all over the playground at McPherson Square, kids were picking them up", None, "request", "negative"),
    ("Huge sinkhole opening up on Rising Sun Ave, a car wheel already fell in", None, "request", "negative"),
    ("the ice on the steps of the rec center, my dad slipped and fell yesterday", None, "request", "negative"),
    ("carbon monoxide alarm going off in the apartment next door and nobody answers", None, "request", "negative"),
    ("Mold all over the walls in my rental, my son has asthma and keeps getting sick", None, "request", "negative"),
    (
        (
            "Hello, the traffic light at Cottman & Roosevelt Blvd is out and it's rush hour, there's going to be"
            " an accident"
        ),
        None,
        "request",
        "negative",
    ),
    ("sewage backing up into our basement for the 2nd time", None, "complaint", "negative"),
    ("stray dogs chasing kids on the way to school near 5th and Cambria, one got bit", None, "request", "negative"),
    ("Cable colgando y echando chispas en la acera de la calle Indiana, pasan niños", None, "request", "negative"),
    ("Mi vecina de 80 años se cayó en la acera rota frente a su casa", None, "request", "negative"),
    ("Hay ratas por todas partes en el callejón, entran a las casas", None, "request", "negative"),
    ("El árbol se va a caer encima de la casa, tiene el tronco partido", None, "request", "negative"),
    ("El olor de la alcantarilla está enfermando a los niños", None, "request", "negative"),
    ("Se está inundando el sótano por la tubería rota de la calle", None, "request", "negative"),
    ("No hay luz en la calle y asaltan a la gente de noche", None, "request", "negative"),
    ("huele a gas en la esquina de la 5 y Allegheny, urgente", None, "request", "negative"),
    ("Estoy preocupada, el techo de la casa abandonada de al lado se puede caer", None, "request", "negative"),
    ("hay jeringas en el parque donde juegan los niños", None, "request", "negative"),
]
IMPACT = [
    # the problem's weight on the writer's life -> negative
    ("Car blocking my driveway since 7am, I can't get out to go to work", None, "request", "negative"),
    ("The bar on the corner blasts music every night until 3am, we can't sleep", None, "complaint", "negative"),
    ("trash piled up for weeks behind the store, the whole block smells", None, "complaint", "negative"),
    (
        "Sidewalk is covered in ice and nobody can walk on it, people are walking in the street",
        None,
        "request",
        "negative",
    ),
    ("construction trucks idling outside my window at 5am every day", None, "complaint", "negative"),
    (
        "No heat in my apartment and the landlord won't do anything, my kids are sleeping in coats",
        None,
        "request",
        "negative",
    ),
    (
        "my mom is in a wheelchair and can't get down the block because of the cars parked on the sidewalk",
        None,
        "request",
        "negative",
    ),
    ("the alley has been flooded for days, we can't take the trash out", None, "complaint", "negative"),
    (
        "Hi, leaves clog the inlet every time it rains and water comes into our house. Can you clean it?",
        None,
        "request",
        "negative",
    ),
    (
        "No podemos dormir, la fiesta de al lado con música a todo volumen todas las noches",
        None,
        "complaint",
        "negative",
    ),
    ("Un carro bloquea la entrada de mi garaje y no puedo salir", None, "request", "negative"),
    ("Hace semanas que la basura se acumula en la esquina y huele horrible", None, "complaint", "negative"),
    ("Mi mamá no puede caminar por la acera porque está llena de hielo", None, "request", "negative"),
    ("llevamos 3 dias sin agua en toda la cuadra", None, "complaint", "negative"),
]
SARCASM = [
    ("great, another pothole on Aramingo. love it", None, "complaint", "negative"),
    ("Love waiting 3 weeks for a streetlight. Great job 311", None, "complaint", "negative"),
    ("Wow, amazing service, my trash has only been sitting there since Tuesday", None, "complaint", "negative"),
    ("Oh perfect, the trash truck skipped us again. Fantastic.", None, "complaint", "negative"),
    ("thanks a lot 311, the abandoned car is still here after a month", None, "complaint", "negative"),
    ("Nice to know my tax dollars pay for potholes this big", None, "complaint", "negative"),
    ("gracias por nada, el bache sigue igual", None, "complaint", "negative"),
    ("Qué bonito, otra semana sin recoger la basura", None, "complaint", "negative"),
    ("Excelente servicio, tres semanas esperando que arreglen la luz", None, "complaint", "negative"),
    ("Muy bien 311, el carro abandonado cumple un mes frente a mi casa. Felicidades", None, "complaint", "negative"),
]
POLITE = [
    # politeness around a plain report: neutral
    ("Pothole on Tasker St near 20th. Thank you in advance!", None, "request", "neutral"),
    ("Hi, please pick up the mattress left at 1800 Wolf St. Have a good day!", None, "request", "neutral"),
    ("Can you pick up a couch I left at the curb? Thanks", None, "request", "neutral"),
    ("Good morning, the street sign at Morris and 18th is bent over. Appreciate it!", None, "request", "neutral"),
    (
        (
            "Dear Sir or Madam,\nI would like to request a new recycling bin for 712 Kimball St. Thank you very much"
            " for your help.\nKind regards,\nA. Brown"
        ),
        None,
        "request",
        "neutral",
    ),
    (
        "Please trim the tree branches over the sidewalk at 4521 Osage Ave, thank you so much",
        None,
        "request",
        "neutral",
    ),
    ("hi pls send someone to fix the streetlight on Dickinson st, thx have a blessed day", None, "request", "neutral"),
    ("Hello! Graffiti on the mailbox at 10th and Reed. Thanks so much, you guys are great", None, "request", "neutral"),
    ("When is bulk pickup in Mayfair? Thanks!", None, "question", "neutral"),
    (
        "Could you tell me how to request a tree planting? Appreciate it, have a nice weekend",
        None,
        "question",
        "neutral",
    ),
    ("Hola, por favor recojan el sofá frente al 2300 de la calle Palethorp. Gracias", None, "request", "neutral"),
    (
        "Buenos días, hay un bache en la calle Rising Sun y Tabor. Muchas gracias de antemano",
        None,
        "request",
        "neutral",
    ),
    (
        "Por favor, la luz del callejón detrás de la calle Hope está fundida. Que tengan buen día",
        None,
        "request",
        "neutral",
    ),
    ("¿Cuándo pasan a recoger el reciclaje en Kensington? Gracias", None, "question", "neutral"),
    ("Quisiera pedir un contenedor de reciclaje nuevo, gracias por su ayuda", None, "request", "neutral"),
]
PLAIN = [
    ("Pothole in front of 1234 Market St.", None, "request", "neutral"),
    ("Streetlight out on my block, pole 12345", None, "request", "neutral"),
    ("Abandoned vehicle, blue Toyota Camry, PA plate, parked on Elbridge St", None, "request", "neutral"),
    ("tree stump left on the sidewalk after they cut the tree at 6100 Webster", None, "request", "neutral"),
    ("Missed trash pickup at 3040 Richmond St", None, "request", "neutral"),
    ("graffitti on garage door 2nd and Girard", None, "request", "neutral"),
    ("Storm drain clogged with leaves at Welsh Rd and Verree", None, "request", "neutral"),
    ("The crosswalk paint at 9th and Christian is worn off", None, "request", "neutral"),
    ("Request for a street sweeping schedule sign on Mifflin St", None, "request", "neutral"),
    ("broken bench at the bus stop on Roosevelt Blvd", None, "request", "neutral"),
    ("Overgrown weeds on the vacant lot at 2500 Ruth St", None, "request", "neutral"),
    ("Dead raccoon in the gutter on Oxford Ave", None, "request", "neutral"),
    ("Bache en la calle 5 frente al número 3200", None, "request", "neutral"),
    ("La luz del poste 4567 está apagada", None, "request", "neutral"),
    ("Dejaron un colchón en la acera de la calle Howard", None, "request", "neutral"),
    ("Grafiti en la pared del supermercado de la calle Allegheny", None, "request", "neutral"),
    ("El contenedor de reciclaje se rompió, necesito uno nuevo", None, "request", "neutral"),
    ("Carro abandonado sin placas en la calle Reese desde hace unos días", None, "request", "neutral"),
]
PRAISE = [
    ("Thank you to the crew that fixed the sinkhole on Rising Sun so quickly!", None, "praise", "positive"),
    ("The water dept came out the same day and fixed the leak. Really appreciate it", None, "praise", "positive"),
    ("Gracias a los trabajadores que limpiaron el lote, quedó muy bonito", None, "praise", "positive"),
    ("Muchas gracias por reparar el semáforo, ahora cruzamos seguros", None, "praise", "positive"),
]
# Written after the fourth look's tuning, measured once (the old rules: kind 66.7 %, sentiment 58.3 %; the new ones
# before these texts: 75 %, 66.7 %), then tuned on: plain reports with courtesy or habits in them that must not
# turn negative or positive.
GUARD = [
    ("Can we get a basketball hoop for the kids at the rec center on our street?", None, "question", "neutral"),
    ("Street sweeping sign missing near the school on Tasker", None, "request", "neutral"),
    ("Traffic light timing at 5th and Olney is off, the green is very short", None, "request", "neutral"),
    ("The recycling truck comes every day at 6am, can it come later?", None, "question", "neutral"),
    ("Tree needs trimming, branches touching the wires at 1400 S 20th", None, "request", "neutral"),
    ("Please fix the water fountain at the playground in Fairmount Park, thanks!", None, "request", "neutral"),
    ("Hola, el parque de los niños necesita más basureros, gracias", None, "request", "neutral"),
    ("Hay un carro estacionado en la esquina hace dos días", None, "request", "neutral"),
    ("Thanks for your help, I need a bulk pickup at 2210 Ellsworth", None, "request", "neutral"),
    ("Great park, but the bathroom door is broken", None, "request", "neutral"),
    (
        "Hi there! Just letting you know the bus shelter glass is cracked at Broad and Snyder. Have a great day :)",
        None,
        "request",
        "neutral",
    ),
    ("El camión de reciclaje pasa todas las semanas los martes?", None, "question", "neutral"),
]
FOURTH = HARM + IMPACT + SARCASM + POLITE + PLAIN + PRAISE + GUARD


@pytest.mark.parametrize(
    "texts", [DEV_TEXTS, FRESH, THIRD, FOURTH], ids=["dev", "second-look", "third-look", "fourth-look"]
)
def test_the_dev_texts_read_right(texts):
    kinds = sum(read_mood(text, language=language).kind == kind for text, language, kind, _s in texts)
    sentiments = sum(
        read_mood(text, language=language).sentiment == sentiment for text, language, _k, sentiment in texts
    )
    assert kinds / len(texts) >= 0.9
    assert sentiments / len(texts) >= 0.85


def test_a_frustrated_report_reads_negative_and_a_plain_one_neutral():
    plain = read_mood("There's a pothole on Market St")
    angry = read_mood("Third time reporting this pothole on Market St and nobody came!!!")
    assert (plain.kind, plain.sentiment) == (TextKind.REQUEST, Sentiment.NEUTRAL)
    assert (angry.kind, angry.sentiment) == (TextKind.COMPLAINT, Sentiment.NEGATIVE)
    assert angry.score < plain.score
    assert "third time" in angry.cues and "nobody came" in angry.cues


def test_words_that_only_name_a_problem_are_not_a_feeling():
    for text in ("Illegal dumping in the alley", "Abandoned car on my block", "Dead tree on the sidewalk"):
        assert read_mood(text).sentiment == Sentiment.NEUTRAL, text


def test_thanks_is_praise_and_positive():
    reading = read_mood("Thank you for fixing the street light so fast, great job!")
    assert (reading.kind, reading.sentiment) == (TextKind.PRAISE, Sentiment.POSITIVE)
    assert reading.score > 0.25


def test_thanks_for_nothing_is_a_complaint():
    reading = read_mood("Thanks for nothing, the trash is still there")
    assert (reading.kind, reading.sentiment) == (TextKind.COMPLAINT, Sentiment.NEGATIVE)
    assert reading.cues[0] == "thanks for nothing"


def test_politeness_in_a_request_is_not_praise():
    reading = read_mood("pls pick up the bulk trash at 3rd and Dauphin, thx")
    assert (reading.kind, reading.sentiment) == (TextKind.REQUEST, Sentiment.NEUTRAL)


def test_questions_in_both_languages():
    assert read_mood("How do I get a new recycling bin?").kind == TextKind.QUESTION
    assert read_mood("¿Dónde puedo dejar muebles viejos?").kind == TextKind.QUESTION
    assert read_mood("When is trash day").kind == TextKind.QUESTION  # no question mark, a wh- opening
    # Asking for action is a request even with a question mark.
    assert read_mood("Can someone please fix the street light on Pine St?").kind == TextKind.REQUEST


def test_waiting_and_asking_again_are_complaints():
    for text in (
        "It has been a week since I reported it",
        "Hace un mes que reporté el bache",
        "311 is a joke. Hold for 40 minutes to be told to call back",
        "Every single week the recycling truck skips our block and every week I call",
    ):
        reading = read_mood(text)
        assert (reading.kind, reading.sentiment) == (TextKind.COMPLAINT, Sentiment.NEGATIVE), text


def test_this_week_is_not_a_wait():
    assert read_mood("What day is recycling this week?").sentiment == Sentiment.NEUTRAL
    assert read_mood("Esta semana no pasó el camión de la basura").sentiment == Sentiment.NEUTRAL


def test_a_rhetorical_question_about_waiting_is_a_complaint():
    reading = read_mood("Why has nobody come to fix this pothole after 3 weeks???")
    assert (reading.kind, reading.sentiment) == (TextKind.COMPLAINT, Sentiment.NEGATIVE)


def test_spanish_cues_and_lexicon():
    reading = read_mood("Otra vez no recogieron la basura, ya van tres semanas")
    assert (reading.kind, reading.sentiment) == (TextKind.COMPLAINT, Sentiment.NEGATIVE)
    assert "otra vez" in reading.cues
    praise = read_mood("Muchas gracias por arreglar la luz tan rápido")
    assert (praise.kind, praise.sentiment) == (TextKind.PRAISE, Sentiment.POSITIVE)


def test_spanish_negation_and_intensifiers():
    good = read_mood("El servicio es bueno", language="es")
    not_good = read_mood("El servicio no es bueno", language="es")
    very_good = read_mood("El servicio es muy bueno", language="es")
    assert not_good.score < 0 < good.score < very_good.score


def test_spanish_word_forms_and_stems():
    # "asquerosas" is the lexicon's "asqueroso"; "agradecidísimos" its stem "agradecid*".
    assert read_mood("Las calles están asquerosas", language="es").sentiment == Sentiment.NEGATIVE
    assert read_mood("Estamos agradecidisimos", language="es").sentiment == Sentiment.POSITIVE


def test_the_language_given_wins_over_the_guess():
    text = "nada"
    assert guess_language("¿Dónde está la basura?") == "es"
    assert guess_language("Where is the trash?") == "en"
    assert read_mood(text, language="es-MX") == read_mood(text, language="es")


def test_shouting_pulls_negative():
    quiet = read_mood("the trash was not picked up on our street")
    loud = read_mood("THE TRASH WAS NOT PICKED UP ON OUR STREET")
    assert loud.score < quiet.score
    assert loud.sentiment == Sentiment.NEGATIVE


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "...", "!!!", "#"])
def test_empty_or_meaningless_is_other_and_neutral(text):
    assert read_mood(text) == Mood(TextKind.OTHER, Sentiment.NEUTRAL, 0.0)


def test_not_a_string_is_other_and_neutral():
    assert read_mood(None) == Mood(TextKind.OTHER, Sentiment.NEUTRAL, 0.0)  # type: ignore[arg-type]


def test_emoji_only():
    assert read_mood("😡😡😡").sentiment == Sentiment.NEGATIVE
    assert read_mood("👏👏").sentiment == Sentiment.POSITIVE
    assert read_mood("🏠🚗").kind == TextKind.OTHER
    assert read_mood("🏠🚗").sentiment == Sentiment.NEUTRAL


def test_ten_thousand_characters_are_read_by_their_start():
    reading = read_mood("Third time reporting the pothole and nobody came. " + "blah " * 2000)
    assert reading.kind == TextKind.COMPLAINT
    assert -1.0 <= reading.score <= 1.0
    assert read_mood("x" * 10_000).kind == TextKind.OTHER


def test_another_language_is_read_without_failing():
    for text in ("Bonjour, je voudrais des informations", "Guten Tag, wie geht es", "你好 垃圾没有收"):
        reading = read_mood(text)
        assert reading.sentiment == Sentiment.NEUTRAL
        assert -1.0 <= reading.score <= 1.0


def test_spam_is_other_and_neutral():
    reading = read_mood("Get 10k free followers now, click here www.spam.example")
    assert (reading.kind, reading.sentiment) == (TextKind.OTHER, Sentiment.NEUTRAL)


def test_cues_are_few_and_unique():
    reading = read_mood("AGAIN!!! still nobody came, third time, weeks, ignored, useless, ridiculous, horrible 😡")
    assert len(reading.cues) <= mood.MAX_CUES
    assert len(set(reading.cues)) == len(reading.cues)


def test_explain_in_english_and_spanish():
    reading = read_mood("Trash missed again and still nobody came")
    sentence = explain(reading)
    assert sentence.startswith("Read as a complaint, negative tone, because of ")
    assert "“again”" in sentence
    with translation.override("es"):
        spanish = explain(reading)
    assert spanish != sentence or translation.get_language() == "en"
    assert explain(Mood(TextKind.OTHER, Sentiment.NEUTRAL, 0.0)) == "Read as something else, neutral tone."


def test_the_lexicon_has_hundreds_of_words():
    words, phrases, stems = mood._spanish()
    assert len(words) + len(phrases) + len(stems) >= 400
    assert all(-4.0 <= valence <= 4.0 for valence in words.values())


@pytest.mark.parametrize(
    ("group", "name"),
    [
        (HARM, "harm"),
        (IMPACT, "impact"),
        (SARCASM, "sarcasm"),
        (POLITE, "politeness"),
        (PLAIN, "plain"),
        (GUARD, "guard"),
    ],
)
def test_each_category_of_the_fourth_look_reads_right(group, name):
    right = sum(read_mood(text, language=language).sentiment == sentiment for text, language, _k, sentiment in group)
    assert right / len(group) >= 0.85, name


def test_danger_without_feeling_words_is_negative_and_names_its_cue():
    for text, cue in (
        ("Live wire down and sparking on the sidewalk, kids walk here to school", "sparking"),
        ("My elderly neighbor tripped on the broken sidewalk", "hurt"),
        ("rats everywhere on our block", "rats everywhere"),
        ("The big oak is about to fall on the house", "about to fall"),
        ("smell from the sewer is making people sick", "sick"),
        ("Water main break flooding my basement", "flooding the house"),
        ("Cable colgando y echando chispas en la acera", "chispas"),
        ("El árbol se va a caer encima de la casa", "se va a caer"),
        ("No hay luz en la calle y asaltan a la gente de noche", "asaltan"),
        ("No streetlight and people get mugged there", "mugged"),
    ):
        reading = read_mood(text)
        assert reading.sentiment == Sentiment.NEGATIVE, text
        assert cue in reading.cues, (text, reading.cues)
        assert reading.kind == TextKind.REQUEST, text  # danger is not a complaint about the city's service


def test_impact_on_the_writer_is_negative():
    for text in (
        "Car blocking my driveway, I can't get out",
        "Car blocking my driveway, I can\u2019t get out",  # a curly apostrophe
        "the music next door every night, we cant sleep",
        "Sidewalk is covered in ice and nobody can walk on it",
        "No podemos dormir por la música",
        "llevamos 3 dias sin agua",
    ):
        assert read_mood(text).sentiment == Sentiment.NEGATIVE, text


def test_politeness_never_makes_a_report_or_a_question_positive():
    for text in (
        "Pothole on Tasker St near 20th. Thank you in advance!",
        "Good morning, the street sign at Morris and 18th is bent over. Appreciate it!",
        "When is bulk pickup in Mayfair? Thanks!",
        "Hola, por favor recojan el sofá frente al 2300 de la calle Palethorp. Gracias, que tengan buen día",
    ):
        reading = read_mood(text)
        assert reading.sentiment == Sentiment.NEUTRAL, text
        assert reading.kind != TextKind.PRAISE, text
    # Thanks FOR something done is still praise.
    done = read_mood("Thank you for fixing the pothole on Tasker St so fast!")
    assert (done.kind, done.sentiment) == (TextKind.PRAISE, Sentiment.POSITIVE)


def test_a_thanks_at_the_end_of_an_unhappy_report_stays_negative():
    reading = read_mood("Third time reporting the pothole and nobody came. Thanks")
    assert (reading.kind, reading.sentiment) == (TextKind.COMPLAINT, Sentiment.NEGATIVE)


def test_sarcasm_is_a_negative_complaint():
    for text in (
        "great, another pothole on Aramingo. love it",
        "Love waiting 3 weeks for a streetlight. Great job 311",
        "thanks a lot 311, the abandoned car is still here after a month",
        "Qué bonito, otra semana sin recoger la basura",
        "gracias por nada",
    ):
        reading = read_mood(text)
        assert (reading.kind, reading.sentiment) == (TextKind.COMPLAINT, Sentiment.NEGATIVE), text
    # Real praise with the same words stays praise.
    assert read_mood("Love how clean Rittenhouse looks today").sentiment == Sentiment.POSITIVE


def test_habits_and_ages_are_not_waits():
    assert read_mood("El camión de reciclaje pasa todas las semanas los martes?").sentiment == Sentiment.NEUTRAL
    assert "semanas" not in read_mood("Mi vecina de 80 años vive sola").cues
