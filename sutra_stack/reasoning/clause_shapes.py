"""The clause shapes open relations are read from: one regular expression per shape.

Used by open_relations.py (which says what each shape states); kept apart so each file stays
small. Every pattern matches a whole clause whose date phrases are already taken out. A shape
read from whole clauses is `gated` (gate.py): after its pattern come the words it cannot match
without, one of each string.
"""

from __future__ import annotations

import re

from sutra_stack.reasoning.gate import gated
from sutra_stack.reasoning.names import CAPITAL, WORD, name
from sutra_stack.reasoning.predicates import KIN_NOUNS, PLACE_CLASSES
from sutra_stack.reasoning.text import wordset
from sutra_stack.reasoning.timeline import DATE

LEAD = gated(
    r"^(?:then|later|afterwards|after\s+that|before\s+that|that\s+year|the\s+same\s+year|meanwhile|"
    r"eventually|finally|in\s+the\s+end|soon\s+after|since\s+then|now|today|also|still|by\s+then|for\s+now|"
    r"(?:last|this)\s+(?:year|month|spring|summer|autumn|winter)|recently)\s*,?\s+",
    re.I,
    "then later afterwards after before that the meanwhile eventually finally in soon since now today also still by "
    "for last this recently",
)
FILLER = gated(
    r"\s*,?\s*\b(?:again|this\s+time|once\s+more|now|currently|still|also|already|recently|"
    r"finally|eventually|later|ever\s+since|since\s+then|today|nowadays|formerly|previously|then)\b,?",
    re.I,
    "again this once now currently still also already recently finally eventually later ever since today nowadays "
    "formerly previously then",
)
SUBORDINATE = re.compile(r"\b(?:when|whenever|if|unless|because|while|although|though)\b", re.I)
OBJECT_END = re.compile(
    r"\s+(?:for|because|after|before|when|while|with|as|and|but|since|where|which|who|whom|"
    r"that|from|there|until|by|to|at|in|on|during|every|each)\b.*$|,.*$",
    re.I,
)
PLACE_OBJECT_END = re.compile(
    r"\s+(?:for|because|after|before|when|while|with|as|and|but|since|where|which|who|"
    r"that|from|there|until|during|every|each|to\s+(?!the\b|an?\b)[a-z]+)\b.*$|,.*$",
    re.I,
)
NEAR_NAME = re.compile(
    r"^(?:an?|the)\s+[a-z][\w\-]*(?:\s+[a-z][\w\-]*)?\s+(?:above|below|near|outside|overlooking|"
    rf"beside|by|off)\s+(?P<p>{CAPITAL}.*)$"
)
NAMED = gated(
    r"^(?:(?:a|an|the|his|her|their|its|my|our)\s+)?(?P<n>.+?)\s+(?:called|named)\s+(?P<name>.+)$",
    re.I,
    "called named",  # a clause's words hold an object phrase's: TRANSITIVE reads no name without them
)
OF_PLACE = re.compile(
    rf"^(?:the\s+)?(?:(?:coast|shore|edge|outskirts|centre|center|heart|north|south|east|west|"
    rf"banks?)\s+of\s+(?:the\s+)?)?(?:(?P<c>{'|'.join(sorted(PLACE_CLASSES))})\s+of\s+)?(?P<p>.+)$",
    re.I,
)
# what stands in a place ("The Drover's Rest is a pub in Millbrook": in Millbrook, and a pub)
SITE_KINDS = wordset(
    "place suburb port hamlet settlement area capital pub inn tavern hotel cafe restaurant bar shop bakery museum "
    "gallery church chapel cathedral abbey castle fort tower lighthouse mill farm school college university library "
    "hospital theatre cinema bridge park garden lake river mountain hill peak range valley forest bay harbour "
    "station market square street road manor house hall estate vineyard brewery distillery factory quarry mine "
    "island village town city"
)
NOT_A_RELATION_NOUN = wordset(
    "kind type sort form class part member component example result cause effect consequence reason name "
    "word term short lot number couple pair piece bit most some all one none rest end beginning middle "
    "top bottom side front back"
)

BE = r"(?:is|are|was|were|has\s+been|have\s+been|had\s+been)"
BECOME = (
    r"(?:(?:was|were|is|has\s+been|had\s+been)\s+(?:appointed|elected|named|made|promoted\s+to|chosen\s+as|"
    r"hired\s+as|installed\s+as|sworn\s+in\s+as)|is\s+now|served\s+as|serves\s+as|works\s+as|worked\s+as|"
    r"took\s+over\s+as|takes\s+over\s+as|is|are|was|were|has\s+been|have\s+been|had\s+been|became|becomes|"
    r"become|remains|remained)"
)
NOUN = r"(?P<n>[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*){0,3}?)"

TRANSFER = gated(
    r"^(?P<x>.+?)\s+(?:has\s+|had\s+)?(?:sold|gave|handed\s+over|handed|donated|passed\s+on|"
    r"passed|bequeathed|transferred|sells|gives|donates)\s+(?P<y>.+?)\s+to\s+(?P<z>.+)$",
    re.I,
    "sold gave handed donated passed bequeathed transferred sells gives donates", "to",
)
PASSED_TO = gated(  # "the farm passed to Erik Dahl in 2015": its new owner
    rf"^(?P<y>.+?)\s+(?:passed|passes)\s+(?:on\s+)?to\s+(?P<x>(?:his|her|their|{CAPITAL}).+)$",
    re.I,
    "passed passes",
    "to",
)
GIVE_NAMED = gated(  # "Hugo Marsh gave Tilda Kerr his bicycle": the one named first after the verb receives it
    r"^(?P<x>.+?)\s+(?:has\s+|had\s+)?(?P<v>sold|gave|handed|passed|lent|loaned|sells|gives|lends)\s+"
    rf"(?P<z>{name(more='+')})\s+(?P<y>(?:his|her|their|its|the|a|an|my|our)\s+[a-z].*)$",
    0,
    "sold gave handed passed lent loaned sells gives lends",
)
SOLD_TO = gated(  # "the bakery was sold (by Pavel Dorn) to Ines Roa": the new owner
    rf"^(?P<y>.+?)\s+{BE}\s+(?P<v>sold|given|donated|handed\s+over|passed\s+on|bequeathed|transferred|left)"
    r"(?:\s+by\s+(?P<s>.+?))?\s+to\s+(?P<x>.+)$",
    re.I,
    "is are was were been", "sold given donated handed passed bequeathed transferred left", "to",
)
OWNED_BY = gated(
    rf"^(?P<y>.+?)\s+{BE}\s+(?:now\s+)?(?:owned|bought|purchased|inherited|acquired)\s+by\s+"
    rf"(?P<x>.+)$",
    re.I,
    "is are was were been", "owned bought purchased inherited acquired", "by",
)
BELONGS = gated(
    r"^(?P<y>.+?)(?:,?\s+(?:is|was)\s+(?:an?|the)\s+(?P<n>[a-z][a-z ]*?)\s+(?:that|which|who))?"
    r"\s+(?:belongs|belonged|belong)\s+to\s+(?P<x>.+)$",
    re.I,
    "belongs belonged belong", "to",
)
HAS_NAMED = gated(
    r"^(?P<x>.+?)\s+(?:has|have|had|keeps|kept)\s+(?:an?|one|two|three)\s+(?P<n>[a-z][a-z ]*?)"
    r"\s+(?:called|named)\s+(?P<y>.+)$",
    re.I,
    "has have had keeps kept", "called named",
)
OWNS = gated(
    r"^(?P<x>.+?)\s+(?:has\s+|have\s+|had\s+)?(?P<v>owns|owned|own|bought|buys|purchased|acquired|"
    r"inherited|inherits|received|got|(?:was|were)\s+given)\s+(?P<y>.+)$",
    re.I,
    "owns owned own bought buys purchased acquired inherited inherits received got given",
)
COPULA_OF = gated(
    rf"^(?P<x>.+?)\s+{BECOME}\s+(?:the\s+|a\s+|an\s+|as\s+)?{NOUN}\s+(?P<p>of|at|for)\s+"
    r"(?P<y>.+)$",
    re.I,
    "was were is has had served serves works worked took takes are have became becomes become remains remained",
    "of at for",
)
OF_IS = gated(rf"^(?:the\s+)?{NOUN}\s+of\s+(?P<y>.+?)\s+{BE}\s+(?P<x>.+)$", re.I, "of", "is are was were been")
POSS_IS = gated(rf"^(?P<y>.+?)['\u2019]s?\s+{NOUN}\s+{BE}\s+(?P<x>.+)$", re.I, "is are was were been")
IS_POSS = gated(rf"^(?P<x>.+?)\s+{BE}\s+(?P<y>{CAPITAL}[\w\- ]*?)['\u2019]s?\s+{NOUN}$", 0, "is are was were been")
CLASS_IN = gated(
    rf"^(?P<x>.+?)\s+{BE}\s+(?:a|an|the)\s+{NOUN}\s+(?P<p>in|on|near|at|outside|off)\s+"
    r"(?P<y>.+)$",
    re.I,
    "is are was were been", "a an the", "in on near at outside off",
)
TAKE_PLACE = r"(?:takes|took|take|taking)\s+place"
PLACE_VERB = gated(
    rf"^(?P<x>.+?)\s+(?:(?:has|have|had)\s+(?:been\s+)?|(?:is|are|was|were)\s+)?(?P<v>{TAKE_PLACE}|grew\s+up|"
    r"grows\s+up|moved\s+back|moves\s+back|[a-z]+)\s+(?P<p>in|to|at|into|near|inside|under|on|onto|beside|"
    r"behind|above|below|within)\s+(?P<y>.+)$",
    re.I,
    "in to at into near inside under on onto beside behind above below within",
)
BE_IN = gated(
    r"^(?P<x>.+?)\s+(?:is|are|was|were)\s+(?P<p>in|at|on|under|inside|near|behind|beside|above|"
    r"below|next\s+to|outside)\s+(?P<y>.+)$",
    re.I,
    "is are was were", "in at on under inside near behind beside above below next outside",
)
ROLE_VERB = gated(
    r"^(?P<x>.+?)\s+(?:has\s+|have\s+|had\s+)?(?P<v>chairs|chaired|heads|headed|leads|led|manages|managed|directs|"
    r"directed|coaches|coached|captains|captained|edits|edited|conducts|conducted|"
    r"governs|governed|runs|ran|(?<=has\s)run|(?<=had\s)run)\s+(?!to\b|into\b|in\b|away\b|out\b)(?P<y>.+)$",
    re.I,
    "chairs chaired heads headed leads led manages managed directs directed coaches coached captains "
    "captained edits edited conducts conducted governs governed runs ran run",
)
ROLE_OF_VERB = {
    "chair": "chair",
    "head": "head",
    "lead": "head",
    "manage": "manager",
    "direct": "director",
    "coach": "coach",
    "captain": "captain",
    "edit": "editor",
    "conduct": "conductor",
    "run": "head",
    "govern": "governor",
}
EVENT_VERB = (
    r"(?P<v>born|opened|opens|open|founded|established|set\s+up|built|constructed|held|"
    rf"{TAKE_PLACE}|happens|happened|occurs|occurred|started|starts|began|begins|closed|closes|"
    r"died|released|came\s+out|comes\s+out|published|married|finished|completed)"
)
WHEN = (
    rf"(?P<w>(?:(?:on|in|during)\s+)?(?:the\s+)?{DATE}|(?:every|each)\s+[a-z]+(?:\s+(?:morning|afternoon|evening|night))?"
    r"|on\s+the\s+(?:first|second|third|fourth|last)\s+[a-z]+\s+of\s+[a-z]+|on\s+[a-z]+days?"
    r"|in\s+(?:january|february|march|april|may|june|july|august|september|october|november|december)\b)"
)
RECURRING_ANY = gated(
    r"^(?P<x>.+?)\s+(?P<v>[a-z]+(?:s|ed))\b.*?\s+(?P<w>(?:every|each)\s+[a-z]+(?:\s+(?:morning|afternoon|evening|night))?"
    r"|on\s+[a-z]+days|on\s+the\s+(?:first|second|third|fourth|last)\s+[a-z]+\s+of\s+[a-z]+)\b",
    re.I,
    "every each on",
)
EVENT_PASSIVE = gated(
    rf"^(?P<x>.+?)\s+(?:was\s+|were\s+|is\s+|are\s+|has\s+been\s+)?{EVENT_VERB}\b.*?\s+{WHEN}",
    re.I,
    "born opened opens open founded established set built constructed held takes took take taking happens "
    "happened occurs occurred started starts began begins closed closes died released came comes "
    "published married finished completed",
)
EVENT_ACTIVE = gated(
    rf"^(?P<s>.+?)(?<!\bwas)(?<!\bwere)(?<!\bis)(?<!\bare)(?<!\bbeen)\s+(?:co-)?(?P<v>founded|established|opened|built|set\s+up|started|began|"
    rf"published|released|constructed|bought|sold|purchased|inherited)\s+(?P<x>.+?)\s+{WHEN}",
    re.I,
    "founded established opened built set started began published released constructed bought sold purchased inherited",
)
PASSIVE_BY = gated(
    r"^(?P<x>.+?)\s+(?:was|were|is|are|has\s+been|had\s+been)\s+(?:co-)?(?P<v>[a-z]+ed|built|written|made|run|led|"
    r"taught|sung|drawn|begun|won|held|given|sold|bought|grown|kept|found)\s+by\s+(?P<y>.+)$",
    re.I,
    "was were is are been", "by",
)
IS_FROM = gated(
    r"^(?P<x>.+?)\s+(?:is|are|was|were|comes|come|came|hails|hailed)\s+(?:originally\s+)?(?:an?\s+[a-z]+(?:\s+[a-z]+)?\s+)?"
    r"from\s+(?P<y>.+)$",
    re.I,
    "is are was were comes come came hails hailed", "from",
)
TRANSITIVE = re.compile(
    rf"^(?P<x>{WORD}(?:\s+[\w'\-]+){{0,5}}?)\s+(?:has\s+|had\s+)?(?P<v>[a-z]+(?:s|ed)|"
    r"wrote|built|led|ate|taught|ran|grew|sang|made|took|kept|won|met|became)\s+(?P<y>.+)$"
)
# "Wildfires destroy forests", "Termites eat wood": a kind of thing (one plural noun) doing something to another
KINDS_DO = re.compile(rf"^(?P<x>{CAPITAL}[a-z]{{2,}}s)\s+(?P<v>[a-z]{{3,}})\s+(?P<y>[a-z][a-z \-]*)$")
NOT_KIND_VERBS = wordset(
    "are were have had can could may might must will would shall should do did not never also often usually "
    "always still only the and or but"
)
RECURRING = gated(
    r"\s+(?:(?:every|each)\s+[a-z]+(?:\s+(?:morning|afternoon|evening|night))?"
    r"|on\s+the\s+(?:first|second|third|fourth|last)\s+[a-z]+\s+of\s+[a-z]+)\b",
    re.I,
    "every each on",
)
WORKS_AT = gated(
    r"^(?P<x>.+?)\s+(?:(?:has|have|had)\s+)?(?:teaches|taught|cooks|cooked|works|worked|serves|served|lectures|"
    r"nurses|coaches|writes|wrote|flies|flew|drives|drove)\s+(?P<o>(?:[a-z]+\s+){0,3}?)(?:at|for)\s+"
    rf"(?P<y>{CAPITAL}.+)$",
    0,
    "teaches taught cooks cooked works worked serves served lectures nurses coaches writes wrote flies "
    "flew drives drove",
    "at for",
)
VERB_OBJ_PLACE = gated(
    rf"^(?P<x>{name(more='{0,4}')})\s+(?P<v>[a-z]+(?:s|ed)|taught|"
    r"grew|ran|sang|wrote|built|made|met|won)\s+(?P<y>(?:the\s+|a\s+|an\s+)?[a-z][\w\-]*"
    rf"(?:\s+[a-z][\w\-]*){{0,2}}?)\s+(?P<p>in|at)\s+(?P<z>{CAPITAL}.*)$",
    0,
    "in at",
)
PUT = gated(
    r"^(?P<s>.+?)\s+(?:has\s+|had\s+)?(?:put|puts|moved|moves|placed|places|took|takes|carried|"
    r"brought|hid|hides|hung|stored|parked|dropped|left|leaves|kept|keeps)\s+(?P<x>.+?)\s+(?:back\s+)?"
    r"(?P<p>in|into|to|on|onto|under|inside|behind|beside|near|next\s+to|at)\s+(?P<y>.+)$",
    re.I,
    "put puts moved moves placed places took takes carried brought hid hides hung stored parked dropped "
    "left leaves kept keeps",
    "in into to on onto under inside behind beside near next at",
)
ROLE_TRANSFER = gated(
    r"^(?P<s>.+?)\s+(?:has\s+|had\s+)?(?:handed|passed|gave|transferred)\s+(?:over\s+)?"
    r"(?:the\s+|his\s+|her\s+|their\s+)?(?P<n>[a-z]+(?:ship|cy|dom|ency|ancy))\s+of\s+"
    r"(?P<y>.+?)\s+to\s+(?P<x>.+)$",
    re.I,
    "handed passed gave transferred", "of", "to",
)
TAKE_OVER = gated(
    r"^(?P<x>.+?)\s+(?:has\s+|had\s+)?(?:taken\s+over|took\s+over|takes\s+over|succeeded|"
    r"succeeds|replaced|replaces|followed|follows)(?:\s+from)?(?:\s+(?P<o>.+?))?\s+as\s+"
    r"(?:the\s+)?(?P<n>[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*){0,2}?)\s+(?:of|at)\s+(?P<y>.+)$",
    re.I,
    "taken took takes succeeded succeeds replaced replaces followed follows", "as", "of at",
)
ABSTRACT_ROLES = {
    "captaincy": "captain",
    "chairmanship": "chair",
    "chairpersonship": "chair",
    "leadership": "head",
    "presidency": "president",
    "directorship": "director",
    "editorship": "editor",
    "management": "manager",
    "stewardship": "steward",
    "ownership": "owner",
}
MARRIED = gated(
    r"^(?P<x>.+?)\s+(?:married|marries|wed|(?:is|was|got|has\s+been)\s+married\s+to)\s+(?P<y>.+)$",
    re.I,
    "married marries wed",
)
_KIN_NAME = name(r"[\w\-]*")  # a name without its possessive
APPOSITIVE = gated(
    rf"(?P<y>{_KIN_NAME})['\u2019]s\s+(?:(?:older|younger|elder|big|little|twin|baby)\s+)?"
    rf"(?P<n>{'|'.join(sorted(KIN_NOUNS))})\s+(?P<x>{_KIN_NAME})",
    0,
    "s",
    " ".join(KIN_NOUNS),
)
NOT_VERBS = wordset(
    "is was has does its his this always sometimes perhaps as us plus thus yes less across unless whereas needs"
)
