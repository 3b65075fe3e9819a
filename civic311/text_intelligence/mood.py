"""What kind of text it is (request, complaint, question, praise, other) and how its writer feels
(negative, neutral, positive), in English and Spanish.

How it reads a text, in order:

- the language: the one given, else a guess from little words ("the", "el", "que"…) and Spanish marks (¿ ¡ ñ);
- the words' valence: English through VADER (its lexicon ships with the package) with the words that only
  name a 311 problem ("illegal", "abandoned", "broken", "dead") made neutral, so a plain report reads
  neutral; Spanish through our own lexicon (`lexicons/es.tsv`, VADER's scale) with negation ("no", "nunca")
  and intensifiers ("muy", "tan");
- 311 cues that say the writer has waited or asked before ("again", "still", "third time", "nobody came",
  "weeks", "otra vez", "todavía", "nadie vino"), shouting (CAPITALS, "!!!") and emoji: they pull the
  score down (or up for 👏 🙏);
- danger, harm, health, fear and urgency written without feeling words ("live wire sparking", "my neighbor
  tripped", "about to fall on the house", "making people sick", "huele a gas", "asaltan") and what the problem
  does to the writer ("can't sleep", "can't get out", "every night", "no podemos dormir", "sin agua"): the
  writer is worried or worn down, so they read negative; they make a request, not a complaint, on their own;
- courtesy ("thanks", "thank you in advance", "have a good day", "appreciate it", "gracias", "que tengan buen
  día") is left out of the score of a report or a question; only thanks FOR something done ("thanks for
  fixing…", "gracias por arreglar…", "great job", "so fast") is a feeling, and only praise reads positive;
- sarcasm ("great, another pothole", "love waiting 3 weeks", "thanks a lot… still", "qué bonito, otra
  semana sin…", "gracias por nada") turns the praise words into a complaint;
- the kind, from the cues: a complaint is unhappy with the city's service (waited, asked before, rude crew);
  praise thanks; a question asks (?, ¿, "how do I", "dónde"); a request describes a problem to fix or
  asks for action; anything else (greetings, spam, emoji alone, unrelated) is other.

That is `read_by_rules`, and each of its decisions names its cues. `read_mood`, which everything calls, hands
the rules' findings and the words to two small trained models (`mood_model`) that make the final decision: the
rules weigh their cues by hand and misread text nobody tuned them on; the models learnt the weights from a
labelled corpus. Where a model agrees with the rules, the rules' cues explain it; where it does not, the words
that pushed it do ("read as … because of …" stays honest).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from math import sqrt
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from . import mood_model
from .models import Sentiment, TextKind
from .words import READ_MAX_CHARS, fold, without_accents


@dataclass(frozen=True)
class Mood:
    kind: TextKind
    sentiment: Sentiment
    score: float  # -1 (most negative) … 1 (most positive)
    # The words and signs that decided it ("again", "ridiculous", "?"), for "read as … because …".
    cues: tuple[str, ...] = ()


# A score at or past these is negative / positive; between, neutral. Wider than VADER's ±0.05: a report
# that names a problem is not an unhappy one until the writer says so.
NEGATIVE_AT = -0.25
POSITIVE_AT = 0.25
MAX_CUES = 6
# A long e-mail says how its writer feels in its first part; reading 1,000 characters, not the words' 2,000,
# keeps a letter as fast as a post.
MOOD_MAX_CHARS = 1000

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"

# -- English: VADER, with the words that only name a problem made neutral (or milder).
_PROBLEM_WORDS_EN = {
    "illegal": 0.0,
    "illegally": 0.0,
    "abandoned": 0.0,
    "abandon": 0.0,
    "broken": 0.0,
    "broke": 0.0,
    "dead": 0.0,
    "fire": 0.0,
    "leak": 0.0,
    "problem": 0.0,
    "problems": 0.0,
    "missing": 0.0,
    "stuck": 0.0,
    "damage": 0.0,
    "damaged": 0.0,
    "emergency": 0.0,
    "complaint": 0.0,
    "blocked": 0.0,
    "blocking": 0.0,
    "block": 0.0,
    "violation": 0.0,
    "no": 0.0,
    "please": 0.0,
    "help": 0.0,
    "fix": 0.0,
    "fixed": 0.0,
    "lost": 0.0,
    "fall": 0.0,
    "falling": 0.0,
    "fallen": 0.0,
    "hit": 0.0,
    "crash": 0.0,
    "trapped": 0.0,
    "hazard": 0.0,
    "collapse": 0.0,
    "collapsed": 0.0,
    "cut": 0.0,
    "demolition": 0.0,
    "dump": 0.0,
    "dumped": 0.0,
    "dumping": 0.0,
    "warning": 0.0,
    "alarm": 0.0,
    "smoke": 0.0,
    "crack": 0.0,
    "cracked": 0.0,
    "weird": 0.0,
    "like": 0.0,  # "looks like", "like a week": rarely a feeling in a report
    "clean": 0.0,
    "cleaning": 0.0,
    "pretty": 0.0,  # "pretty bad": VADER already boosts
    "missed": 0.0,
    "miss": 0.0,
    "drop": 0.0,
    "party": 0.0,
    "super": 0.0,
    "free": 0.0,
    "play": 0.0,
    "popped": -1.0,
    "honor": 0.0,
    "mess": -1.5,
    "dirty": -0.8,
    "dangerous": -1.6,
    "danger": -1.4,
    "crime": -1.2,
    "huge": 0.0,  # "huge pothole"
    "strong": 0.0,  # "gas smell very strong"
    "hope": 0.0,  # Hope St
    "dear": 0.0,  # "Dear 311,"
    "worn": 0.0,  # "paint is worn off"
    "regards": 0.0,
}

# -- Spanish: negation flips (times -0.74 as VADER does), intensifiers lift (+0.293 as VADER's boosters).
_NEGATORS_ES = frozenset({"no", "nunca", "jamas", "ni", "tampoco", "sin", "nadie", "nada"})
_BOOSTERS_ES = {
    "muy": 0.293,
    "tan": 0.293,
    "super": 0.293,
    "demasiado": 0.293,
    "sumamente": 0.293,
    "extremadamente": 0.293,
    "totalmente": 0.293,
    "realmente": 0.293,
    "bastante": 0.2,
    "mas": 0.15,
    "poco": -0.293,
    "algo": -0.15,
}
_N_SCALAR = -0.74
_BOOST = 0.293

# -- Language guess: little words only one language uses much.
_EN_STOP = frozenset(
    [
        "the",
        "and",
        "is",
        "are",
        "was",
        "were",
        "to",
        "of",
        "in",
        "on",
        "for",
        "my",
        "this",
        "that",
        "it",
        "its",
        "there",
        "has",
        "have",
        "been",
        "not",
        "again",
        "still",
        "please",
        "street",
        "you",
        "your",
        "with",
        "at",
        "from",
        "why",
        "what",
        "how",
        "when",
        "where",
        "who",
        "our",
        "they",
        "them",
        "be",
        "been",
        "being",
        "an",
        "a",
        "would",
        "could",
        "can",
        "will",
        "just",
        "since",
        "thanks",
        "thank",
    ]
)
_ES_STOP = frozenset(
    [
        "el",
        "la",
        "los",
        "las",
        "de",
        "del",
        "que",
        "en",
        "y",
        "por",
        "para",
        "con",
        "una",
        "un",
        "es",
        "esta",
        "estan",
        "este",
        "esto",
        "no",
        "se",
        "mi",
        "mis",
        "su",
        "sus",
        "hay",
        "muy",
        "pero",
        "lo",
        "le",
        "les",
        "al",
        "como",
        "cuando",
        "donde",
        "porque",
        "calle",
        "otra",
        "vez",
        "ya",
        "desde",
        "hace",
        "todavia",
        "nadie",
        "gracias",
        "ni",
        "tambien",
        "son",
        "fue",
        "han",
        "ha",
        "esta",
        "aqui",
        "alli",
        "ese",
        "esa",
        "eso",
        "nos",
        "nuestra",
        "nuestro",
        "ustedes",
        "vino",
    ]
)

# -- 311 cues. Each: (name shown, pattern on the folded text, weight on the score, says-complaint).
_CUES_EN: tuple[tuple[str, str, float, bool], ...] = (
    ("thanks for nothing", r"\bthanks? (?:you )?for nothing\b", -0.9, True),
    (
        "nobody came",
        (
            r"\b(?:nobody|no one|noone|no body|nobody has|no one has|no one ever|nobody ever|never)"
            r" (?:has |have |ever )?(?:came|come|showed|show|showed up|shown up|fixed|fix|responded|called|answered"
            r"|picked|did|cleaned|bothered|returned|got back)\b"
        ),
        -0.45,
        True,
    ),
    (
        "no response",
        r"\b(?:no|zero|without (?:a|any)) (?:response|reply|answer|update|callback|call back|call|email|word|news)\b",
        -0.4,
        True,
    ),
    ("never heard back", r"\bnever heard (?:back|anything)\b", -0.4, True),
    ("still", r"\bstill\b", -0.25, True),
    ("again", r"\bagain\b", -0.25, True),
    (
        "third time",
        (
            r"\b(?:second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|tenth|10th|umpteenth|nth)"
            r" (?:time|request|report|call)\b"
        ),
        -0.4,
        True,
    ),
    (
        "times",
        (
            r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|multiple|many|countless"
            r"|numerous|so many|a dozen) (?:times|calls|requests|reports|tickets|complaints)\b"
        ),
        -0.35,
        True,
    ),
    ("weeks", r"\b(?:weeks|months|years|wks|forever|ages)\b", -0.3, True),
    (
        "a week",
        (
            r"\b(?:(?:for|over|almost|nearly|about|in) a (?:week|month|year)"
            r"|a (?:week|month|year) ago|since last (?:week|month|year)"
            r"|been (?:a|one|two|three|four|\d+) (?:week|month|year|days))\b"
        ),
        -0.2,
        True,
    ),
    (
        "almost hit",
        (
            r"\b(?:almost|nearly) (?:hit|crashed|fell|died|killed|got hit|hit by)|(?:someone|somebody|kids?|people)"
            r" (?:is going to|will|gonna|could|can) (?:get )?(?:hurt|killed|die)|accident waiting"
        ),
        -0.35,
        False,
    ),
    ("for days", r"\b(?:for|in|over) (?:days|\d+ days|a few days|several days)\b", -0.2, True),
    ("how long", r"\bhow long\b", -0.25, True),
    ("waiting", r"\b(?:(?:still|been|keep|kept|keeps) waiting|waiting (?:for|on|since))\b", -0.2, True),
    ("every week", r"\bevery (?:single )?(?:week|time|day|month)\b(?! it (?:rains|snows|storms))", -0.25, True),
    ("a joke", r"\b(?:is|are|s) (?:a )?(?:joke|clown show|circus)\b", -0.6, True),
    ("on hold", r"\b(?:on hold|hold for|held for)\b", -0.25, True),
    ("reported before", r"\b(?:already|i|we|i ve|we ve|i have|we have) (?:reported|called|complained)\b", -0.2, True),
    ("ignored", r"\b(?:ignored|ignoring|ignore us|ignores)\b", -0.4, True),
    (
        "closed",
        (
            r"\b(?:closed|marked|says|said)\b.{0,30}\b(?:complete|completed|resolved|closed|fixed)\b"
            r".{0,40}\b(?:not|isn ?t|wasn ?t|nothing|never|still)\b"
        ),
        -0.45,
        True,
    ),
    ("rude", r"\b(?:rude|disrespectful|yelled|cursed|unprofessional|attitude)\b", -0.35, True),
    ("useless", r"\b(?:useless|waste of|pointless|what s the point|whats the point|incompetent|lazy)\b", -0.4, True),
    ("nobody cares", r"\b(?:nobody|no one|city (?:doesn ?t|does not|dont|don ?t)) (?:cares?|give a)\b", -0.5, True),
    ("fed up", r"\b(?:fed up|sick of|tired of|sick and tired|had enough|enough is enough|so done)\b", -0.45, True),
    ("wtf", r"\b(?:wtf|smh|seriously|unbelievable|come on|cmon|ffs)\b", -0.3, False),
)
_CUES_ES: tuple[tuple[str, str, float, bool], ...] = (
    ("gracias por nada", r"\bgracias por nada\b", -0.9, True),
    (
        "nadie vino",
        (
            r"\b(?:nadie|nunca|jamas) (?:ha |han |a |lo |la |los |las |nos )?"
            r"(?:vino|vinieron|viene|vienen|venido|aparecio"
            r"|aparecieron|aparece|respondio|respondieron|responde|responden|contesta|contestan|contesto|arreglo"
            r"|arreglaron|recogio|recogieron|limpio|limpiaron|hizo|hicieron|hace|hacen)\b"
        ),
        -0.45,
        True,
    ),
    ("sin respuesta", r"\b(?:sin|ninguna|ni una) (?:respuesta|solucion|contestacion)\b", -0.4, True),
    ("todavía", r"\b(?:todavia|aun no|sigue|siguen|seguimos|continua)\b", -0.25, True),
    ("otra vez", r"\b(?:otra vez|de nuevo|nuevamente|una vez mas|volvio|volvieron)\b", -0.25, True),
    (
        "tercera vez",
        (
            r"\b(?:segunda|tercera|cuarta|quinta|sexta|decima|enesima|2da|3ra|4ta) (?:vez|llamada"
            r"|queja|reporte|solicitud)\b"
        ),
        -0.4,
        True,
    ),
    (
        "veces",
        (
            r"\b(?:\d+|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|varias|muchas|mil|tantas)"
            r" (?:veces|llamadas|quejas|reportes|solicitudes)\b"
        ),
        -0.35,
        True,
    ),
    (
        "semanas",
        (
            r"\b(?:(?<!todas las )semanas|meses|(?<!\d )anos|una eternidad|desde siempre|hace (?:una|1) semana"
            r"|hace (?:un|1) (?:mes|ano)|desde (?:la semana|el mes|el ano) pasad[oa]|cumple (?:un|una|\d+) (?:mes"
            r"|semana|ano)"
            r"|(?:sigo|seguimos|llevo|llevamos|semanas|meses|dias) esperando)\b"
        ),
        -0.3,
        True,
    ),
    (
        "casi me mato",
        (
            r"\bcasi (?:me|se|nos|lo|la) (?:mato|matan|caigo|cae|cayo|atropell\w*|choca\w*)|alguien se va a"
            r" (?:lastimar|matar|caer)|(?:es|un) (?:un )?peligro"
        ),
        -0.35,
        False,
    ),
    ("días", r"\b(?:hace|desde hace|por|lleva|llevan|llevamos) (?:dias|\d+ dias|varios dias|unos dias)\b", -0.2, True),
    ("ya lo reporté", r"\b(?:ya|que|lo|la|los|las) (?:reporte|reportamos|llame|llamamos|denuncie)\b", -0.2, True),
    ("hasta cuándo", r"\b(?:hasta cuando|cuanto tiempo mas|cuanto mas)\b", -0.3, True),
    ("nadie", r"\bnadie\b", -0.2, True),
    ("ignoran", r"\b(?:ignoran|ignorado|ignorada|ignorados|nos ignoran|caso omiso|ni caso)\b", -0.4, True),
    (
        "cerraron",
        (
            r"\b(?:cerraron|cerrado|marcaron|dice|dicen)\b.{0,30}\b(?:completad[oa]|resuelt[oa]|cerrad[oa]"
            r"|arreglad[oa])\b"
        ),
        -0.4,
        True,
    ),
    (
        "grosero",
        r"\b(?:grosero|grosera|groseros|maleducado|mal educado|falta de respeto|prepotente|gritaron)\b",
        -0.35,
        True,
    ),
    (
        "no hacen nada",
        (
            r"\b(?:no hacen nada|nadie hace nada|no sirve|no sirven|inutiles|no les importa"
            r"|a nadie le importa)\b"
        ),
        -0.5,
        True,
    ),
    ("harto", r"\b(?:harto|harta|hartos|hartas|cansad[oa]s? de|ya basta|basta ya)\b", -0.45, True),
)
# Danger, harm, health, fear and urgency written without feeling words ("live wire sparking where kids walk",
# "my neighbor tripped", "about to fall on the house"), and what the problem does to the writer's life ("can't
# sleep", "can't get out", "every night"): the writer is worried or worn down, so these read negative. They
# say nothing of the city's service, so they never make a complaint on their own. Sarcasm ("great, another
# pothole", "love waiting", "gracias por nada") is a complaint dressed as praise.
_HARM_EN: tuple[tuple[str, str, float, bool], ...] = (
    (
        "sparking",
        (
            r"\b(?:sparking|sparks|live wires?|(?:power|electric|electrical) lines? (?:is |are )?down"
            r"|downed (?:power )?lines?"
            r"|wires? (?:is |are )?(?:down|hanging|dangling|sparking))\b"
        ),
        -0.5,
        False,
    ),
    ("gas", r"\b(?:gas smell|smells? (?:like |of )?gas|gas leak|carbon monoxide)\b", -0.5, False),
    (
        "hurt",
        (
            r"\b(?:tripped|slipped|hurt (?:her|his|him|my|their|themselves|herself|himself)|got hurt|injured"
            r"|broke (?:her|his|my)"
            r" (?:arm|leg|wrist|hip|ankle)|got bit|bitten|was bit|got hit|was hit)\b"
        ),
        -0.5,
        False,
    ),
    ("mugged", r"\b(?:mugged|muggings?|robbed|assaulted|attacked|break ?ins?|broken into)\b", -0.5, False),
    (
        "sick",
        (
            r"\b(?:making (?:people|us|me|everyone|the kids|kids) sick|getting sick|got sick|keeps? getting sick|asthma"
            r"|can[' ]?t breathe|cannot breathe|health hazard|rashes?)\b"
        ),
        -0.5,
        False,
    ),
    (
        "about to fall",
        r"\b(?:about to|going to|gonna|could|might|will) (?:fall|collapse|come down|cave in)\b",
        -0.45,
        False,
    ),
    (
        "caving in",
        r"\b(?:caved? ?in|caving in|collapsing|bulging|leaning (?:on|into) (?:the|my|our) (?:house|home|car))\b",
        -0.35,
        False,
    ),
    (
        "flooding the house",
        (
            r"\b(?:flooding (?:my|our|the) (?:basement|house|home|cellar|kitchen)|(?:water|sewage) (?:is )?(?:comes?"
            r"|coming|backing up|backs up)"
            r" (?:up )?into (?:my|our|the) (?:house|home|basement)|sewage backing up|basement (?:is )?flood\w*)\b"
        ),
        -0.45,
        False,
    ),
    ("rats everywhere", r"\b(?:rats|mice|roaches|rodents) (?:everywhere|all over)|infest\w*\b", -0.45, False),
    (
        "accident",
        (
            r"\b(?:going to be an accident|gonna be an accident|accident waiting|someone (?:will|is going to"
            r"|could) get (?:hurt|killed)"
            r"|swerving|blowing through|kids (?:were )?picking (?:them|it) up|not moving|fell in)\b"
        ),
        -0.4,
        False,
    ),
    (
        "urgent",
        r"\b(?:urgent|asap|right away|immediately|need (?:someone|help|somebody) (?:now|asap|right now))\b",
        -0.35,
        False,
    ),
    (
        "kids",
        (
            r"\b(?:kids|children|school ?kids|elderly|seniors?|wheelchair)\b(?=.{0,80}\b(?:needles|syringes|wires?"
            r"|traffic|cars|rats"
            r"|sparking|playground)\b)|\b(?:needles|syringes|wires?|sparking|cars|traffic)\b(?=.{0,80}\b(?:kids|children"
            r"|school|elderly|playground)\b)"
        ),
        -0.3,
        False,
    ),
    (
        "can't sleep",
        (
            r"\b(?:can[' ]?t|cannot|can not|couldn[' ]?t|unable to|not able to) (?:sleep|get out|leave|get in|get home"
            r"|park|walk|get down"
            r"|get through|get to|open (?:the|my|our) windows?|take (?:the|our|my) (?:trash|kids)|use (?:the|my|our)"
            r"|go outside)\b"
        ),
        -0.45,
        False,
    ),
    ("nobody can walk", r"\b(?:nobody|no one|noone|people) can[' ]?t? (?:walk|get through|pass|use)\b", -0.45, False),
    ("every night", r"\b(?:every|all) (?:night|morning|weekend)\b|\buntil [1-5] ?am\b", -0.3, False),
    ("smells", r"\b(?:whole|entire) (?:block|street|house|neighborhood) (?:smells|stinks|reeks)\b", -0.35, False),
    (
        "no heat",
        r"\b(?:no (?:heat|hot water|running water|water|power|electricity)|without (?:heat|water|power))\b",
        -0.4,
        False,
    ),
    ("sleeping in coats", r"\bsleeping in (?:coats|jackets|the car)\b", -0.4, False),
    # sarcasm
    (
        "great, another",
        (
            r"^(?:oh |wow |well )?(?:great|wonderful|fantastic|perfect|awesome|lovely|nice|brilliant|just great"
            r"|amazing)\b"
            r".{0,70}\b(?:another|again|still|only|skipped|since|weeks|months)\b"
        ),
        -0.9,
        True,
    ),
    (
        "love waiting",
        (
            r"\b(?:love|loving|enjoy|enjoying|gotta love|just love) (?:waiting|paying|dodging|stepping|smelling|calling"
            r"|being"
            r" (?:ignored|on hold))\b|\banother\b.{0,50}\blove (?:it|this)\b"
        ),
        -0.9,
        True,
    ),
    ("thanks a lot", r"\bthanks? a lot\b(?=.{0,80}\b(?:still|again|nothing|never|weeks|months|a month)\b)", -0.9, True),
    ("tax dollars", r"\b(?:my|our) tax (?:dollars|money)\b", -0.6, True),
)
_HARM_ES: tuple[tuple[str, str, float, bool], ...] = (
    (
        "chispas",
        r"\b(?:chispas|chispea\w*|cables? (?:colgando|caid[oa]s?|suelt[oa]s?|pelad[oa]s?)|electrocut\w*)\b",
        -0.5,
        False,
    ),
    ("gas", r"\b(?:huele a gas|olor a gas|fuga de gas|monoxido)\b", -0.5, False),
    (
        "se cayó",
        (
            r"\b(?:se cayo|se cayeron|me cai|tropezo|se tropezo|me tropece|resbalo|se resbalo|me resbale|se lastimo"
            r"|lastimad[oa]"
            r"|herid[oa]s?|mordio)\b"
        ),
        -0.5,
        False,
    ),
    ("asaltan", r"\b(?:asaltan|asaltaron|asaltos?|roban|robaron|robos?|atracan|atracaron)\b", -0.5, False),
    ("enferma", r"\b(?:enferm\w*|asma|no se puede respirar|no podemos respirar)\b", -0.5, False),
    (
        "se va a caer",
        r"\b(?:se va a caer|se van a caer|a punto de caer(?:se)?|se puede caer|puede caerse|se esta cayendo|se cae)\b",
        -0.45,
        False,
    ),
    (
        "inundando",
        r"\b(?:inundando|se inunda|se inundo|inundad[oa] (?:el|mi|nuestro|la) (?:sotano|casa))\b|\bsotano\b",
        -0.4,
        False,
    ),
    ("ratas por todas partes", r"\b(?:ratas|ratones|cucarachas) por todas partes\b|\bplaga\b", -0.45, False),
    ("urgente", r"\b(?:urgente|urgencia|de inmediato|inmediatamente|cuanto antes|lo antes posible)\b", -0.35, False),
    ("preocupada", r"\b(?:preocupad[oa]s?|me preocupa|nos preocupa|miedo|susto|peligro)\b", -0.45, False),
    (
        "niños",
        (
            r"\b(?:ninos|ninas|escuela|ancian[oa]s?|silla de ruedas)\b(?=.{0,80}\b(?:jeringas|agujas|cables?|carros"
            r"|trafico|ratas"
            r"|chispas)\b)|\b(?:jeringas|agujas|cables?|chispas|carros|trafico)\b(?=.{0,80}\b(?:ninos|ninas|escuela"
            r"|juegan)\b)"
        ),
        -0.35,
        False,
    ),
    (
        "no puedo salir",
        (
            r"\bno (?:puedo|podemos|pueden|puede|se puede) (?:dormir|salir|caminar|pasar|entrar|abrir|estacionar|sacar"
            r"|usar|descansar)\b"
        ),
        -0.45,
        False,
    ),
    (
        "todas las noches",
        r"\b(?:todas las noches|cada noche|toda la noche|todas las mananas|todos los fines)\b",
        -0.3,
        False,
    ),
    (
        "sin agua",
        r"\b(?:sin (?:agua|calefaccion|gas|electricidad)|no hay (?:agua|calefaccion|electricidad))\b",
        -0.4,
        False,
    ),
    # sarcasm
    (
        "qué bonito",
        (
            r"^(?:que |muy |pero que )?(?:bonito|lindo|bien|genial|perfecto|excelente|maravilloso|fantastico|hermoso"
            r"|excelente servicio)"
            r"\b.{0,90}\b(?:otra|sin|todavia|sigue|semanas|meses|esperando|cumple)\b"
        ),
        -0.9,
        True,
    ),
    (
        "muchas gracias por nada",
        r"\b(?:mil|muchas) gracias\b(?=.{0,80}\b(?:sigue|todavia|nada|nunca|semanas|meses)\b)",
        -0.9,
        True,
    ),
)
_CUES_EN = (*_CUES_EN, *_HARM_EN)
_CUES_ES = (*_CUES_ES, *_HARM_ES)
_HARM_CUE_NAMES = frozenset(name for name, _p, weight, says in (*_HARM_EN, *_HARM_ES) if not says)

# Courtesy that says nothing of how the writer feels about the city ("thanks", "thank you in advance", "have a
# good day", "appreciate it", "gracias", "que tengan buen día"): left out of the score unless the thanks is FOR
# something done ("thanks for fixing…", "gracias por arreglar…", "great job", "so fast").
_COURTESY = re.compile(
    r"\b(?:(?:thank you|thanks|thank u|thx|ty|many thanks)(?: (?:so|very) much| a bunch| again)?(?: in advance"
    r"| for your (?:help|time|attention|assistance))?|(?:i |we )?(?:really )?appreciate (?:it|your help|your time"
    r"|the help)"
    r"|have an? (?:good|nice|great|blessed|wonderful|lovely) (?:day|one|weekend|evening|night|afternoon)|god bless"
    r"|(?:kind|best|warm) regards|sincerely|dear|hello|hi|good (?:morning|afternoon|evening)|you guys are (?:great"
    r"|awesome"
    r"|the best)|(?:muchas |mil )?gracias(?: de antemano| por adelantado| por su (?:ayuda|atencion|tiempo))?"
    r"|(?:que )?tengan? (?:un )?(?:buen|lindo|bonito|excelente) dia|bendiciones|saludos|buenos dias|buenas tardes"
    r"|buenas noches|hola|estimad[oa]s?)\b"
)
# Thanks or praise FOR something done: then the thanks is the writer's feeling, and may be praise.
_DONE = re.compile(
    r"\b(?:(?:thank you|thanks|thx|kudos|shout ?out|props|grateful|appreciate)\b.{0,50}\bfor (?!your (?:help|time"
    r"|attention"
    r"|assistance))\w+|great job|good job|nice job|great work|good work|well done|awesome job|amazing job|hats off"
    r"|fixed|repaired|cleaned|removed|patched|salted|plowed|trimmed|paved|picked up|came out|showed up|came by"
    r"|got fixed|is gone|gone by|so fast"
    r"|so quick\w*|quickly|same day|finally|look(?:s)? (?:so )?(?:amazing|great|beautiful|good|nice|clean)"
    r"|gracias\b.{0,50}\bpor (?!su (?:ayuda|atencion|tiempo))\w+|buen trabajo|excelente trabajo|gran trabajo|bien hecho"
    r"|felicidades|felicitaciones|arreglaron|limpiaron|quitaron|repararon|recogieron|vinieron|quedo|se ve|tan rapido"
    r"|que rapido|mismo dia)\b"
)
_COMPLAINT_CUE_NAMES = frozenset(name for name, _p, _w, says in (*_CUES_EN, *_CUES_ES) if says)

_ANGRY_EMOJI = frozenset("😡🤬😤👎💩🙄😠😒😩😫😖🤦🖕😞😢😭")
_HAPPY_EMOJI = frozenset("👏🙏❤💙💚👍😊😀😃😄😁🎉💯🙌🥰😍⭐🌟✨🤩☺🫶")

# -- Kind signals (folded text).
_THANKS = re.compile(
    r"\b(?:thank you|thanks|thank u|thx|thnx|tks|ty|tysm|kudos|shout ?out|props|great job|good job|nice job"
    r"|great work|good work|well done|awesome job|amazing job|appreciate|appreciated|grateful|bravo|hats off"
    r"|gracias|muchas gracias|mil gracias|agradezco|agradecemos|agradecid[oa]s?|felicidades|felicitaciones"
    r"|felicito|buen trabajo|excelente trabajo|gran trabajo|bien hecho)\b"
)
_IN_ADVANCE = re.compile(r"\b(?:thanks|thank you|thx|gracias) (?:in advance|de antemano|por adelantado)\b")
_ASK_ACTION = re.compile(
    r"\b(?:please|pls|plz|pleas|kindly|can (?:someone|somebody|anyone|you|u|the city|311|yall|you guys)"
    r"|could (?:someone|somebody|you|u|the city)|would (?:someone|you)|need(?:s)? (?:someone|somebody|help"
    r"|to be|fixing|fixed|fixin|removed|repair|attention|a crew)|send (?:someone|a crew|somebody|out)"
    r"|come (?:out|fix|pick|clean|remove|and)|fix (?:it|this|that|the|our|my)|get (?:it|this|that) (?:fixed"
    r"|removed|cleaned|taken care)|take care of|i (?:want|d like|would like|wanna|need) to report|reporting"
    r"|report(?:ing)? (?:a|an|the)|requesting|request (?:a|an|that)|to be (?:removed|fixed|picked up|towed)"
    r"|por favor|porfa|porfavor|x favor|arreglen|reparen|recojan|limpien|quiten|retiren|manden|envien|vengan"
    r"|necesitamos|necesito|necesita|necesitan|quiero reportar|quisiera reportar|quiero denunciar|reportar"
    r"|reporto|reportando|denunciar|denuncio|pueden (?:venir|arreglar|recoger|limpiar|mandar|quitar|revisar)"
    r"|podrian|ayudenos|ayudennos|solicito|solicitar|pido)\b"
)
_PROBLEM = re.compile(
    r"\b(?:pot ?holes?|trash|garbage|rubbish|recycl\w*|dump(?:ing|ed)?|litter\w*|graffiti|grafitti|tag(?:ged|s)"
    r"|street ?lights?|lights? (?:is |are )?(?:out|off|broken|flickering|down)|light out|flicker\w*|lamp|alley|signal"
    r"|traffic lights?|stop ?lights?|abandoned|junk car|car|cars|vehicle|truck|tree|trees|branch|branches"
    r"|limbs?|stump|mess|hydrant|leak\w*|water main|sewer|drain|storm drain|inlet|flood\w*|icy|ice|snow|unsalted"
    r"|salt\w*|plow\w*|sidewalk|curb|cracks?|sinkhole|hole|vacant|vacant lot|empty lot|house|building|property"
    r"|roof|collaps\w*"
    r"|construction|noise|loud|rats?|rodents?|mice|roaches|bugs|weeds|overgrown|grass|dumpster|smoke detector"
    r"|detector|broken|missing|damaged|blocked|illegal\w*|debris|mattress\w*|tires?|couch|furniture|bulk"
    r"|needles?|syringes?|dead animal|dead (?:cat|dog|rat|deer|bird)|stop sign|sign|road|street|pavement"
    r"|cracked|manhole|catch basin|bin|bins|trash cans?|pickup|pick up|collection|collected|picked up|zoning|permit"
    r"|unsafe|dangerous|hazard\w*|fire|smell\w*|stinks?|odor|mold|sewage|electric\w*|wires?|pole|fence"
    r"|bache|baches|hoyo|hoyos|hueco|huecos|basura|reciclaje|tiraron|tirad[oa]s?|escombros|grafitis?"
    r"|pintadas?|luz|luces|poste|postes|farol|farola|alumbrado|semaforos?|abandonad[oa]s?|carro|carros|coche"
    r"|auto|vehiculo|camion|arbol|arboles|rama|ramas|hidrante|fuga|agua|alcantarilla|drenaje|inundad[oa]"
    r"|inundacion|hielo|nieve|sal|acera|aceras|banqueta|grieta|vacio|vacia|lote|terreno|casa|edificio"
    r"|construccion|obra|ruido|ratas|ratones|cucarachas|maleza|hierba|yerba|contenedor|detector de humo"
    r"|alarma|rot[oa]s?|danad[oa]s?|bloquead[oa]|ilegal|colchon|colchones|llantas|muebles|sofa|jeringas"
    r"|animal muerto|letrero|senal|calle|callejon|esquina|peligros[oa]|olor|apesta|moho|cables?)\b"
)
# An opening that asks for information ("when is…", "¿dónde…"): a question even when it names a problem.
_WH_OPENING = re.compile(
    r"^(?:how|what|whats|when|where|wheres|why|who|whos|which|hows|wondering|que|como|donde|cuando|por que"
    r"|porque|quien|quienes|cual|cuales|cuanto|cuantos|cuanta|a que hora|a donde|a quien)\b"
)
# An opening that may ask for action ("can you…", "¿pueden…"): a request when it names a problem or a task.
_YES_NO_OPENING = re.compile(
    r"^(?:is|are|can|could|do|does|did|will|would|should|any|anyone|anybody|puedo|pueden|puede|podemos"
    r"|podrian|se puede|hay|alguien|sabe|saben)\b"
)
_ACTION = re.compile(
    r"\b(?:fix|fixed|repair|clean|cleaned|remove|removed|pick up|picked up|tow|towed|trim|cut|salt|plow|patch"
    r"|replace|arregl\w*|repar\w*|limpi\w*|quit\w*|recog\w*|remolc\w*|pod\w*|cambi\w*)\b"
)
_QUESTION_PHRASE = re.compile(
    r"\b(?:how do i|how can i|how do we|how to|is there a way|does anyone know|anyone know|do you know"
    r"|who do i|where do i|where can i|what do i|i was wondering|quick question|como hago|como puedo"
    r"|donde puedo|a quien|alguien sabe|saben si|quisiera saber|quiero saber|queria saber|me gustaria saber"
    r"|una pregunta|pregunta|i d like to know|want to know|wanted to know)\b"
)
_CITY = re.compile(
    r"\b(?:city|311|philly ?311|government|mayor|council|councilman|councilwoman|department|crews?|workers"
    r"|employees|streets department|you guys|yall|y all|your|they|them|agency|office|ciudad|municipio"
    r"|gobierno|alcalde|alcaldia|concejo|departamento|cuadrilla|trabajadores|empleados|ustedes|oficina)\b"
)
_SPAM = re.compile(
    r"\b(?:buy now|click here|free followers|followers|crypto|bitcoin|forex|promo code|discount|giveaway"
    r"|dm me|dm for|onlyfans|casino|loan|earn \$?\d+|make money|work from home|gana dinero|sigueme"
    r"|seguidores gratis|oferta|descuento)\b"
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|good (?:morning|afternoon|evening)|hola|buenos dias|buenas tardes|buenas noches|buenas"
    r"|saludos)\b"
)
_SEASON = re.compile(
    r"\b(?:happy (?:thanksgiving|holidays?|new year|4th|fourth|birthday|easter|halloween|friday|monday|sunday)"
    r"|merry christmas|go birds|feliz (?:navidad|ano|dia|cumpleanos)|felices fiestas|prospero ano)\b"
)
_SHOUT_WORD = re.compile(r"\b[A-ZÁÉÍÓÚÑ]{3,}\b")
_ABBREVIATIONS = frozenset({"ASAP", "USA", "SEPTA", "PGW", "PECO", "PPA", "NYC", "ADA", "PHL", "SMS", "URL", "FYI"})


@cache
def _vader() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(_PROBLEM_WORDS_EN)
    return analyzer


def _load_spanish() -> tuple[dict[str, float], dict[tuple[str, ...], float], dict[str, float]]:
    words: dict[str, float] = {}
    phrases: dict[tuple[str, ...], float] = {}
    stems: dict[str, float] = {}
    for line in (LEXICON_DIR / "es.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        entry, _sep, value = line.partition("\t")
        valence = float(value)
        if entry.endswith("*"):
            stems[fold(entry[:-1])] = valence
            continue
        folded = fold(entry)
        if " " in folded:
            phrases[tuple(folded.split())] = valence
            continue
        words.setdefault(folded, valence)
        for form in _forms(folded):
            words.setdefault(form, valence)
    return words, phrases, stems


def _forms(word: str) -> tuple[str, ...]:
    if word.endswith("o"):
        return (word[:-1] + "a", word + "s", word[:-1] + "as")
    if word.endswith("e"):
        return (word + "s",)
    if word.endswith("z"):
        return (word[:-1] + "ces",)
    if word[-1:] in ("l", "r", "n", "d"):
        return (word + "es",)
    return ()


@cache
def _spanish() -> tuple[dict[str, float], dict[tuple[str, ...], float], dict[str, float]]:
    return _load_spanish()


def _spanish_valence(word: str) -> float | None:
    lexicon, _phrases, stems = _spanish()
    if word in lexicon:
        return lexicon[word]
    for end in range(len(word), 3, -1):
        if word[:end] in stems:
            return stems[word[:end]]
    return None


def guess_language(text: str) -> str:
    """ "es" or "en" (the two the mood reader knows), from little words and Spanish marks."""
    tokens = fold(text).split()
    spanish = sum(token in _ES_STOP for token in tokens)
    english = sum(token in _EN_STOP for token in tokens)
    if any(mark in text for mark in "¿¡ñÑ"):
        spanish += 2
    return "es" if spanish > english else "en"


def _language(text: str, language: str | None) -> str:
    code = (language or "").strip().lower().split("-")[0].split("_")[0]
    if code in ("es", "en"):
        return code
    return guess_language(text)


def _spanish_score(tokens: list[str], raw: str) -> tuple[float, list[tuple[str, float]]]:
    """VADER's arithmetic over our lexicon: sum the valences (negated, boosted), normalise to -1 … 1."""
    _lexicon, phrases, _stems = _spanish()
    found: list[tuple[str, float]] = []
    used: set[int] = set()
    longest = max((len(phrase) for phrase in phrases), default=1)
    for start in range(len(tokens)):
        for size in range(min(longest, len(tokens) - start), 1, -1):
            phrase = tuple(tokens[start : start + size])
            if phrase in phrases and not used.intersection(range(start, start + size)):
                found.append((" ".join(phrase), phrases[phrase]))
                used.update(range(start, start + size))
    total = sum(valence for _word, valence in found)
    for index, token in enumerate(tokens):
        if index in used:
            continue
        valence = _spanish_valence(token)
        if valence is None or valence == 0:
            continue
        before = tokens[max(0, index - 3) : index]
        for booster in before[-1:]:
            if booster in _BOOSTERS_ES:
                valence += _BOOSTERS_ES[booster] if valence > 0 else -_BOOSTERS_ES[booster]
        if any(word in _NEGATORS_ES for word in before):
            valence *= _N_SCALAR
        found.append((token, valence))
        total += valence
    if total:
        bangs = min(raw.count("!"), 4) * 0.292
        total += bangs if total > 0 else -bangs
    return total / sqrt(total * total + 15), found


def _english_score(text: str, tokens: list[str]) -> tuple[float, list[tuple[str, float]]]:
    analyzer = _vader()
    compound = float(analyzer.polarity_scores(text)["compound"])
    found = [(token, analyzer.lexicon[token]) for token in tokens if analyzer.lexicon.get(token)]
    return compound, found


def _is_shouting(text: str) -> bool:
    shouted = [word for word in _SHOUT_WORD.findall(text) if word not in _ABBREVIATIONS]
    letters = [char for char in text if char.isalpha()]
    upper = sum(char.isupper() for char in letters)
    return len(shouted) >= 3 and upper >= 0.5 * len(letters)


def read_by_rules(text: str, *, language: str | None = None) -> Mood:
    """The rule reader alone. Never raises on any text; an empty or meaningless text is OTHER and NEUTRAL."""
    raw = unicodedata.normalize("NFC", (text if isinstance(text, str) else "")[:READ_MAX_CHARS])[:MOOD_MAX_CHARS]
    folded = fold(raw)
    tokens = folded.split()
    angry = [char for char in raw if char in _ANGRY_EMOJI]
    happy = [char for char in raw if char in _HAPPY_EMOJI]
    if not tokens and not angry and not happy:
        return Mood(TextKind.OTHER, Sentiment.NEUTRAL, 0.0)

    spanish = _language(raw, language) == "es"
    if tokens:
        base, found = _spanish_score(tokens, raw) if spanish else _english_score(raw, tokens)
    else:
        base, found = 0.0, []

    cues: list[tuple[str, float, bool]] = []
    for name, pattern, weight, says_complaint in _cues(spanish):
        if pattern.search(folded):
            cues.append((name, weight, says_complaint))
    other_cues = _cues(not spanish)  # a Spanish post can say "again"; an English one "gracias por nada"
    for name, pattern, weight, says_complaint in other_cues:
        if name in ("still", "again", "todavía", "otra vez", "nadie", "weeks", "a week", "semanas", "urgente"):
            continue  # short words that mean something else in the other language
        if pattern.search(folded) and all(name != cue for cue, _w, _c in cues):
            cues.append((name, weight, says_complaint))
    if "!!" in raw and base <= POSITIVE_AT:
        cues.append(("!!!", -0.2, False))
    if _is_shouting(raw) and base <= POSITIVE_AT:
        cues.append((_("CAPITALS"), -0.3, False))
    if angry:
        cues.append((angry[0], -0.3, False))
    if happy and not angry:
        cues.append((happy[0], 0.3, False))

    pull = sum(weight for _name, weight, _c in cues if weight < 0)
    sarcastic = any(weight <= -0.9 for _name, weight, _c in cues)
    done = bool(_DONE.search(folded))
    reports = bool(_PROBLEM.search(folded) or _ASK_ACTION.search(folded) or "?" in raw or "¿" in raw or len(tokens) > 6)
    polite = reports and not done and not sarcastic and bool(_COURTESY.search(folded))
    if polite and base > 0:
        # "Pothole on Tasker St. Thank you in advance, have a good day!": courtesy is not a feeling.
        plain = _COURTESY.sub(" ", _folded_keeping_marks(raw))
        plain_tokens = fold(plain).split()
        if plain_tokens:
            base, found = _spanish_score(plain_tokens, plain) if spanish else _english_score(plain, plain_tokens)
        else:
            base, found = 0.0, []
    if sarcastic and base > 0:
        base = -base / 2  # "great, another pothole. love it": the praise words are the complaint
    if base > 0 and not sarcastic and done and _THANKS.search(folded) and not _IN_ADVANCE.search(folded):
        pull /= 3  # "thank you for finally fixing it after 3 weeks": thanks first, the wait second
    push = sum(weight for _name, weight, _c in cues if weight > 0)
    score = max(-1.0, min(1.0, base + max(pull, -0.8) + push))
    if score <= NEGATIVE_AT:
        sentiment = Sentiment.NEGATIVE
    elif score >= POSITIVE_AT:
        sentiment = Sentiment.POSITIVE
    else:
        sentiment = Sentiment.NEUTRAL

    kind, kind_cues = _kind(raw, folded, score, cues, done=done)
    if kind in (TextKind.REQUEST, TextKind.QUESTION, TextKind.COMPLAINT) and sentiment == Sentiment.POSITIVE:
        # "Please pick up the bulk trash, thx": politeness, not praise; only praise reads positive.
        score, sentiment = min(score, POSITIVE_AT / 2), Sentiment.NEUTRAL
    elif kind == TextKind.OTHER and kind_cues and _SPAM.search(folded):
        score, sentiment = 0.0, Sentiment.NEUTRAL  # an advertisement says nothing of how the city is doing
    word_cues = [
        word
        for word, valence in sorted(found, key=lambda pair: -abs(pair[1]))
        if abs(valence) >= 1.0 and (valence < 0) == (sentiment == Sentiment.NEGATIVE) and sentiment != Sentiment.NEUTRAL
    ]
    mood_cues = [name for name, weight, _c in cues if (weight < 0) == (sentiment == Sentiment.NEGATIVE)]
    ordered: list[str] = []
    for cue in (*kind_cues, *mood_cues, *word_cues):
        if cue and cue not in ordered:
            ordered.append(cue)
    return Mood(kind, sentiment, round(score, 3), tuple(ordered[:MAX_CUES]))


_KINDS = tuple(TextKind)
_SENTIMENTS = tuple(Sentiment)


def featurise(text: str, language: str | None) -> tuple[str, str, tuple[float, ...]]:
    """What the sentiment model reads of a text: its folded words, its lower-case characters with marks and
    emoji, and the rule reader's findings (score, sentiment, kind, and which groups of cues fired)."""
    raw = unicodedata.normalize("NFC", (text if isinstance(text, str) else "")[:READ_MAX_CHARS])[:MOOD_MAX_CHARS]
    by_rules = read_by_rules(raw, language=language)
    return fold(raw), _folded_keeping_marks(raw), _findings(raw, by_rules)


def _findings(raw: str, by_rules: Mood) -> tuple[float, ...]:
    folded = fold(raw)
    spanish = _language(raw, None) == "es"
    fired = {name for name, pattern, _w, _says in _cues(spanish) if pattern.search(folded)}
    return (
        by_rules.score,
        *(float(by_rules.sentiment == sentiment) for sentiment in _SENTIMENTS),
        *(float(by_rules.kind == kind) for kind in _KINDS),
        float(bool(fired & _COMPLAINT_CUE_NAMES)),
        float(bool(fired & _HARM_CUE_NAMES)),
        float(bool(_THANKS.search(folded))),
        float(bool(_DONE.search(folded))),
        float(bool(_COURTESY.search(folded))),
        float(any(char in _ANGRY_EMOJI for char in raw)),
        float(any(char in _HAPPY_EMOJI for char in raw)),
        float("?" in raw or "¿" in raw),
        float("!!" in raw),
        float(_is_shouting(raw)),
        float(spanish),
    )


def read_mood(text: str, *, language: str | None = None) -> Mood:
    """The kind and the sentiment of `text`, decided by the trained models (`mood_model`), which weigh the
    rule reader's findings with the words. Never raises on any text; an empty or meaningless text is OTHER and
    NEUTRAL. The score is P(positive) - P(negative), from -1 to 1."""
    by_rules = read_by_rules(text, language=language)
    raw = unicodedata.normalize("NFC", (text if isinstance(text, str) else "")[:READ_MAX_CHARS])[:MOOD_MAX_CHARS]
    if not fold(raw) and not any(char in _ANGRY_EMOJI or char in _HAPPY_EMOJI for char in raw):
        return by_rules
    featured = (fold(raw), _folded_keeping_marks(raw), _findings(raw, by_rules))
    decision = mood_model.trained(featurise).decide(featured)
    kind, sentiment = TextKind(decision.kind), Sentiment(decision.sentiment)
    score = round(decision.sentiments.get("positive", 0.0) - decision.sentiments.get("negative", 0.0), 3)
    if (kind, sentiment) == (by_rules.kind, by_rules.sentiment):
        return Mood(kind, sentiment, score, by_rules.cues)
    # Where the models disagree with the rules, the rules' cues for that reading point the wrong way: name the
    # words that decided it instead.
    rule_kind_cues = _kind_cue_words(raw, by_rules)
    kind_cues = (
        [cue for cue in by_rules.cues if cue in rule_kind_cues] if kind == by_rules.kind else decision.kind_words
    )
    mood_cues = (
        [cue for cue in by_rules.cues if cue not in rule_kind_cues]
        if sentiment == by_rules.sentiment
        else decision.sentiment_words
    )
    unique = list(dict.fromkeys(cue for cue in (*kind_cues, *mood_cues) if cue))
    return Mood(kind, sentiment, score, tuple(unique[:MAX_CUES]))


def _kind_cue_words(raw: str, by_rules: Mood) -> set[str]:
    folded = fold(raw)
    spanish = _language(raw, None) == "es"
    cues = [(name, weight, says) for name, pattern, weight, says in _cues(spanish) if pattern.search(folded)]
    return set(_kind(raw, folded, by_rules.score, cues, done=bool(_DONE.search(folded)))[1])


@cache
def _compiled(spanish: bool) -> tuple[tuple[str, re.Pattern[str], float, bool], ...]:
    table = _CUES_ES if spanish else _CUES_EN
    return tuple((name, re.compile(pattern), weight, says) for name, pattern, weight, says in table)


def _cues(spanish: bool) -> tuple[tuple[str, re.Pattern[str], float, bool], ...]:
    return _compiled(spanish)


def _first(pattern: re.Pattern[str], folded: str) -> str:
    match = pattern.search(folded)
    return match.group(0) if match else ""


def _folded_keeping_marks(raw: str) -> str:
    """Lower case without accents, punctuation kept (VADER reads "!" and the courtesy pattern needs no accents)."""
    return without_accents(raw.lower().replace("\u2019", "'"))


def _kind(
    raw: str, folded: str, score: float, cues: list[tuple[str, float, bool]], *, done: bool = True
) -> tuple[TextKind, list[str]]:
    """The kind and the cues that decided it (see the module's docstring for the order)."""
    complaint = [name for name, _w, says in cues if says and name in _COMPLAINT_CUE_NAMES]
    if _SPAM.search(folded) and not _PROBLEM.search(folded):
        return TextKind.OTHER, [_first(_SPAM, folded)]
    thanks = _THANKS.search(folded)
    in_advance = bool(_IN_ADVANCE.search(folded))
    ask = _first(_ASK_ACTION, folded)
    problem = _first(_PROBLEM, folded)
    city = _first(_CITY, folded)
    strong = any(weight <= -0.4 for name, weight, says in cues if says)
    if complaint and (score <= NEGATIVE_AT or strong or (len(complaint) >= 2 and score < 0.25)):
        return TextKind.COMPLAINT, complaint
    if thanks and done and not in_advance and score >= POSITIVE_AT and not (ask and problem):
        return TextKind.PRAISE, [thanks.group(0)]
    question_mark = "?" in raw or "¿" in raw
    wh = _first(_WH_OPENING, folded)
    yes_no = _first(_YES_NO_OPENING, folded)
    phrase = _first(_QUESTION_PHRASE, folded)
    if wh or phrase or (question_mark and not (ask and (problem or _ACTION.search(folded)))):
        why = "?" if "?" in raw else ("¿" if "¿" in raw else phrase or wh)
        return TextKind.QUESTION, [why]
    if yes_no and not (ask or problem) and len(folded.split()) <= 12:
        return TextKind.QUESTION, [yes_no]
    if _SEASON.search(folded):
        return TextKind.OTHER, [_first(_SEASON, folded)]
    if score >= 0.5 and not ask and not complaint and (done or not problem):
        return TextKind.PRAISE, []  # "Impressed! Reported graffiti Monday, gone by Wednesday."
    harm = [name for name, _w, says in cues if not says and name in _HARM_CUE_NAMES]
    if ask or problem or harm:
        return TextKind.REQUEST, [cue for cue in (ask, problem, *harm[:1]) if cue]
    if score <= NEGATIVE_AT and (city or complaint):
        return TextKind.COMPLAINT, [city, *complaint]
    if _GREETING.search(folded) or _SEASON.search(folded):
        return TextKind.OTHER, [_first(_GREETING, folded) or _first(_SEASON, folded)]
    if score >= 0.5:
        return TextKind.PRAISE, []
    if _GREETING.search(folded):
        return TextKind.OTHER, [_first(_GREETING, folded)]
    return TextKind.OTHER, []


_KIND_PHRASES = {
    TextKind.REQUEST: lambda: _("Read as a request"),
    TextKind.COMPLAINT: lambda: _("Read as a complaint"),
    TextKind.QUESTION: lambda: _("Read as a question"),
    TextKind.PRAISE: lambda: _("Read as praise"),
    TextKind.OTHER: lambda: _("Read as something else"),
}
_SENTIMENT_WORDS = {
    Sentiment.NEGATIVE: lambda: pgettext("tone of a text", "negative"),
    Sentiment.NEUTRAL: lambda: pgettext("tone of a text", "neutral"),
    Sentiment.POSITIVE: lambda: pgettext("tone of a text", "positive"),
}


def explain(mood: Mood) -> str:
    """One translatable sentence: "Read as a complaint, negative tone, because of “again”, “still”."."""
    kind = _KIND_PHRASES.get(TextKind(mood.kind), _KIND_PHRASES[TextKind.OTHER])()
    sentiment = _SENTIMENT_WORDS.get(Sentiment(mood.sentiment), _SENTIMENT_WORDS[Sentiment.NEUTRAL])()
    if not mood.cues:
        return _("%(kind)s, %(sentiment)s tone.") % {"kind": kind, "sentiment": sentiment}
    quoted = ", ".join(_("“%(cue)s”") % {"cue": cue} for cue in mood.cues)
    return _("%(kind)s, %(sentiment)s tone, because of %(cues)s.") % {
        "kind": kind,
        "sentiment": sentiment,
        "cues": quoted,
    }
