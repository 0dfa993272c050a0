"""Urgency and calmness cues in what people write, as features for the priority model.

Words alone are weak evidence of priority: "exam", "error" or "payment" occur in calm and urgent
tickets alike. What makes a ticket urgent is a situation: the service is down, many people are
affected, an account is compromised, work is lost, a deadline is hours away, or money keeps
leaving an account. What makes one calm is a wish, "no rush", or something cosmetic. Each cue
below is a small set of regular expressions written from those definitions (not from any
evaluation set); the priority model learns how much each cue counts from the labelled examples.
"""

from __future__ import annotations

import re

import numpy as np

_I = re.IGNORECASE


def _any(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), _I)


_N = r"(?:\d+|a few|a couple of|one|two|three|four|five|ten|twenty|thirty|forty|fifty|half an?|an?)"
_WHO = (
    r"students|users|people|participants|candidates|customers|employees|staff|members|"
    r"attendees|learners|colleagues|clients|accounts|teachers|lecturers|instructors|examinees"
)
_PEOPLE = f"(?:{_WHO})"
_WORK = (
    r"(?:data|work|files?|documents?|grades?|marks|submissions?|thesis|dissertation|essays?|"
    r"assignments?|records?|answers|database|everything|all (?:of )?(?:my|our) \w+|"
    r"course ?(?:content|materials?)|uploads?|backups?|emails?|projects?)"
)

URGENT_CUES: dict[str, re.Pattern] = {
    "outage": _any(
        r"\b(?:is|are|was|went|goes|gone|been|still|completely|totally)\s+down\b",
        r"\b(?:outage|offline|unreachable|inaccessible|service unavailable)\b",
        r"\b(?:site|server|system|service|portal|platform|website|network|lms)\s+(?:is\s+)?down\b",
        r"\b(?:50[0-4]|5\d\d) (?:error|internal|bad gateway|gateway)",
        r"\berror 5\d\d\b|\binternal server error\b|\bbad gateway\b",
        r"\b(?:not|isn't|aren't|won't) (?:loading|responding|working) (?:at all|for anyone)",
        r"\b(?:nobody|no one|none of (?:us|them|the \w+)) (?:can|is able to)\b",
        r"\bcompletely (?:broken|unusable)\b|\bsystem[- ]wide\b|\bcrash(?:es|ed|ing) for (?:all|every)",
        r"\bnone of (?:the|our|my) \w+ (?:have|has|are|is|can|work)\b",
        r"\btim(?:es|ed|ing) ?out\b|\bgateway time-?out\b",
        r"\b(?:site|page|portal|server|system|platform|app|service|lms|moodle|canvas)"
        r" (?:is |keeps )?(?:crashing|unavailable|unresponsive|not loading|not responding)\b",
        r"\b(?:won'?t|doesn'?t|does not|will not|can'?t|cannot) (?:load|open|connect)"
        r" (?:at all|for anyone|for everyone)\b",
        r"\bfail(?:s|ed|ing)? for (?:all|every|everyone|everybody)\b|\bbroken for (?:all|every)",
        r"\ball (?:submissions|uploads|logins|log-ins|payments|pages|requests) (?:are )?fail",
        r"\bno (?:access|connection|internet|wi-?fi|power|network)\b|\bwent offline\b",
    ),
    "many_affected": _any(
        rf"\b(?:all|every|entire|whole)\s+(?:the\s+|of (?:the|our|my)\s+)?(?:{_WHO}|class|"
        r"cohort|course|department|faculty|campus|team|company|organi[sz]ation|office|school)\b",
        rf"\b\d{{2,}}\+?\s+(?:of (?:my|our|the)\s+)?{_PEOPLE}",
        r"\b(?:hundreds|dozens|thousands) of\b|\b\d{2,}\+? ?(?:ppl|of us)\b",
        r"\b(?:whole|entire|full) (?:lecture hall|room|building|year|group|section)\b",
        r"\beveryone\b|\beverybody\b|\bnobody\b|\bno one\b",
        rf"\b(?:multiple|many|several|most)\s+{_PEOPLE}",
        r"\b(?:my|our|the) (?:class|students|cohort|course|section)\b(?: all)?",
        r"\b(?:campus|university|college|school|company|department)[- ]wide\b",
        r"\ball (?:courses|sections|classes|modules|exams)\b|\bacross the\b",
    ),
    "security": _any(
        r"\bhack(?:ed|er|ers|ing)?\b|\bbreach(?:ed)?\b|\bcompromised?\b|\bphishing\b",
        r"\bmalware\b|\bransomware\b|\bvirus\b|\bexploit(?:ed)?\b|\bvulnerabilit(?:y|ies)\b",
        r"\bunauthori[sz]ed (?:access|login|logins|sign[- ]?ins?|user|person|changes?)\b",
        r"\bsuspicious (?:login|logins|activity|sign[- ]?ins?|email|link)\b",
        r"\b(?:data|credentials|passwords?|personal (?:data|information)) (?:were |was |got )?"
        r"(?:leaked|exposed|stolen)\b",
        r"\bsomeone (?:else )?(?:has )?(?:logged|accessed|is using|changed my)\b",
        r"\bidentity theft\b|\baccount takeover\b|\bstolen\b|\bwasn'?t me\b",
        r"\b(?:login|sign[- ]?in|access) from (?:an? )?(?:unknown|strange|foreign|new|another)"
        r" (?:device|location|country|ip)\b|\bi (?:did not|didn'?t) (?:request|make|do)\b",
        r"\bscam\b|\bimpersonat\w*|\bpassword (?:was |got )?changed\b",
        r"\bprivacy\b|\bsecurity (?:bug|issue|hole|problem|incident|alert)\b",
        r"\bexpos(?:es|ed|ing)\b|\bpublic(?:ly)? (?:readable|visible|accessible)\b",
        r"\bsomeone (?:else'?s?|bought|used|is using|has)\b|\banother (?:student|user|person|"
        r"customer)'?s\b|\bother (?:students|users|people)'?s? (?:data|grades|details|files)\b",
    ),
    "data_loss": _any(
        rf"\b(?:lost|deleted|disappeared|wipe[sd]?|wiping|erased|vanished|overwritten|corrupted|gone)\b"
        rf"(?:\W+\w+){{0,5}}?\W+{_WORK}\b",
        rf"\b{_WORK}(?:\W+\w+){{0,5}}?\W+(?:lost|deleted|disappeared|wiped|erased|vanished|"
        r"overwritten|corrupted|(?:is|are|has|have) gone|(?:is|are) missing)\b",
        r"\bdata loss\b|\blost (?:all|everything)\b",
        r"\b(?:not|wasn'?t|weren'?t|didn'?t|never) (?:get )?saved?\b|\breverted\b|\brolled back\b",
        r"\b(?:disappeared|vanished)\b|\b(?:is|are|now|shows?|went) (?:completely )?(?:empty|blank)\b",
    ),
    "deadline_hours": _any(
        rf"\b(?:in|within|next|only|under|less than)\s+{_N}\s*(?:minutes?|mins?|hours?|hrs?)\b",
        r"\b(?:due|closes?|ends?|starts?|begins?|deadline(?: is)?|expires?)\b"
        r"(?:\W+\w+){0,3}?\W+(?:today|tonight|at midnight|at noon|this (?:morning|afternoon|"
        r"evening)|in an hour|right now)\b",
        r"\b(?:exam|test|quiz|defen[cs]e|presentation|lecture|class)\b(?:\W+\w+){0,4}?\W+"
        r"(?:is |are )?(?:starting|started|running|underway|happening)\b"
        r"(?:\W+\w+){0,2}?\W+(?:now|soon)\b",
        r"\b(?:at|by|before) \d{1,2}(?::\d\d)? ?(?:am|pm)\b|\bmidnight\b|\bend of (?:the )?day\b",
        r"\b(?:during|in the middle of|mid-?) ?(?:the |an |my |our |a )?(?:exam|test|quiz|lecture|"
        r"defen[cs]e|presentation|live session)\b",
        r"\b(?:exam|test|quiz|deadline|submission|defen[cs]e)\b(?:\W+\w+){0,2}?\W+"
        r"(?:now|today|tonight|this (?:morning|afternoon|evening))\b",
    ),
    "said_urgent": _any(
        r"\b(?:right now|as soon as possible|asap|immediately|urgent(?:ly)?|emergency|critical)\b",
        r"\bhigh(?:est)? priority\b|\btime[- ]sensitive\b",
    ),
    "money_leaving": _any(
        r"\b(?:charged|debited|billed|deducted|withdrawn|taken)\b(?:\W+\w+){0,6}?\W+"
        r"(?:again|repeatedly|every (?:day|hour|few minutes)|(?:three|four|five|\d+) times|"
        r"without (?:my )?(?:permission|consent|authori[sz]ation))\b",
        r"\bunauthori[sz]ed (?:charges?|payments?|transactions?|debits?|withdrawals?)\b",
        r"\b(?:keeps?|keep) (?:charging|billing|debiting|taking)\b",
        r"\bmoney (?:is |keeps )?(?:leaving|being taken|draining|disappearing)\b",
        r"\bfraud(?:ulent)?\b|\bdrain(?:ed|ing) (?:my|our|the) (?:account|card)\b",
        r"\b(?:charges?|payments?|transactions?|debits?) (?:that )?i (?:do not|don'?t|didn'?t) "
        r"(?:recogni[sz]e|make|authori[sz]e)\b|\bdon'?t recogni[sz]e\b",
        r"\bmoney (?:was |has been |got )?taken\b|\bcharged (?:\dx|\d+ times|twice|three times)\b",
        r"\bdouble[- ]charg|\bpending charges\b|\bcharged (?:\w+ )?after (?:i )?cancel",
        r"\bcharged (?:again|every|each)\b|\bkeeps? (?:being |getting )?charged\b",
        r"\b(?:paid|payment|money|refund) (?:went |was sent |sent )?to (?:the )?wrong\b",
        r"\boverdra(?:wn|ft)\b|\bcard (?:is |now )?maxed\b",
    ),
    "blocked": _any(
        r"\bblock(?:ing|ed|er)\b|\bprevents? (?:me|us|them|students)\b|\blocked out\b",
        r"\b(?:can'?t|cannot|can not|unable to|not able to) (?:continue|proceed|work|submit|"
        r"access|log ?in|sign in|pay|register|enrol+|graduate|start|finish|upload)\b",
        r"\bstuck\b|\bat a standstill\b|\bhalted\b",
    ),
    "deadline_days": _any(
        r"\btomorrow\b|\btonight\b|\bthis (?:week|friday|weekend)\b",
        r"\bby (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the end of (?:the )?"
        r"(?:day|week))\b|\bin (?:two|2|a couple of|a few|three|3) days\b",
        r"\b(?:due|deadline|closes?|expires?)\b(?:\W+\w+){0,3}?\W+(?:on )?(?:monday|tuesday|"
        r"wednesday|thursday|friday|saturday|sunday)\b",
    ),
}

CALM_CUES: dict[str, re.Pattern] = {
    "no_rush": _any(
        r"\bno (?:rush|hurry|pressure)\b|\bnot (?:urgent|time[- ]sensitive|a big deal|"
        r"pressing|critical|important)\b|\bnothing (?:urgent|serious|critical)\b",
        r"\b(?:whenever|when) (?:you|someone) (?:get|gets|have|has) (?:a |the )?"
        r"(?:chance|time|moment)\b|\bat your (?:convenience|leisure)\b|\blow priority\b",
        r"\bwhenever (?:convenient|possible)\b|\bin the (?:coming|next) (?:weeks|months)\b",
        r"\bjust (?:curious|wondering|a (?:thought|suggestion|heads[- ]up))\b|\bfor future reference\b",
    ),
    "wish": _any(
        r"\b(?:it )?would be (?:nice|great|good|cool|helpful|useful|lovely|awesome)\b",
        r"\bit'd be (?:nice|great)\b|\bnice[- ]to[- ]have\b|\bi wish\b|\bwould love\b",
        r"\b(?:feature request|suggestion|proposal|idea)\b|\bcould you (?:add|consider)\b",
        r"\b(?:consider|please) adding\b|\bwould (?:it be possible|you consider)\b",
    ),
    "cosmetic": _any(
        r"\btypos?\b|\bspelling\b|\bcosmetic\b|\bmisaligned\b|\balignment\b|\bgrammar\b",
        r"\bfont\b|\bcolou?rs?\b|\bdark (?:mode|theme)\b|\bpadding\b|\bspacing\b|\bicons?\b",
        r"\bwording\b|\bcapitali[sz]ation\b|\blooks? (?:a bit |slightly )?(?:off|odd|weird)\b",
        r"\bminor\b|\bsmall (?:thing|issue|detail|glitch)\b",
    ),
}

CUES: dict[str, re.Pattern] = {**URGENT_CUES, **CALM_CUES}
NAMES: tuple[str, ...] = tuple(CUES)


def cues(text: str) -> list[str]:
    """The names of the cues found in `text`, urgent ones first."""
    return [name for name, pattern in CUES.items() if pattern.search(text or "")]


def _row(text: str) -> list[float]:
    found = set(cues(text))
    urgent = sum(1 for n in URGENT_CUES if n in found)
    calm = sum(1 for n in CALM_CUES if n in found)
    return [
        *(1.0 if n in found else 0.0 for n in NAMES),
        min(urgent, 3) / 3,  # how many kinds of urgency at once
        1.0 if urgent >= 2 else 0.0,  # e.g. an outage that hits a whole class
        1.0 if calm and not urgent else 0.0,  # calm and nothing pressing
    ]


def cue_matrix(texts) -> np.ndarray:
    """One row of cue indicators per text: features for the priority model."""
    return np.array([_row(t) for t in texts], dtype=float).reshape(len(texts), len(NAMES) + 3)
