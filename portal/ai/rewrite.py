"""Rewriting a draft shorter, friendlier or more formal: Gemini when configured, else rules.

The local rules take a draft apart first (greeting, opening pleasantries, body, sign-off) and
put it back together in the new style, so a rewrite replaces the greeting and the closing
instead of adding a second one, and rewriting a rewrite changes nothing more.
"""

from __future__ import annotations

import re

from portal.ai import gateway, prompts, usage
from portal.ai.options import AIOptions
from portal.ai.providers.gemini import TextOut
from portal.ai.text import clean_input, sentences

STYLES = prompts.REWRITE_STYLES

GREETING = re.compile(
    r"^(?:hello|hi|hey|dear|greetings|good (?:morning|afternoon|evening))\b[ \t]*([^\n,!:.]*)[,!:.]?[ \t]*",
    re.IGNORECASE,
)
# Pleasantries that open a reply; any number of them are dropped before the style adds its own.
# Only a whole short sentence counts, so "Thanks for your patience while we fixed X." stays.
OPENING = re.compile(
    r"^(?:(?:thank you|thanks)(?: so much| very much| again)? for (?:reaching out|getting in touch|"
    r"contacting us|your (?:message|email|patience|follow-up|reply|question))[^.!?\n]{0,40}"
    r"|(?:i am |i'm |we are |we're )?(?:happy|glad) to help"
    r"|i hope (?:this|you)[^.!?\n]{0,40})(?:[.!?]+|(?=\n)|$)\s*",
    re.IGNORECASE,
)
# Lines that close a reply: a sign-off and whatever signature follows it.
SIGN_OFF = re.compile(
    r"^(?:kind regards|best regards|warm regards|regards|best wishes|best|sincerely|yours sincerely|"
    r"many thanks|thanks again|thank you again|cheers|have a (?:great|good|nice) (?:day|week)"
    r"|all the best)\b[^\n]*$",
    re.IGNORECASE,
)
CONTRACTIONS = {
    "don't": "do not",
    "can't": "cannot",
    "won't": "will not",
    "it's": "it is",
    "i'm": "I am",
    "we're": "we are",
    "you're": "you are",
    "doesn't": "does not",
    "isn't": "is not",
    "we'll": "we will",
    "you'll": "you will",
    "didn't": "did not",
    "let's": "let us",
}
STYLE_PARTS = {
    # style: (greeting word, opening sentence, closing lines)
    "friendlier": (
        "Hi",
        "Thanks so much for reaching out, I'm happy to help!",
        "Have a great day!",
    ),
    "formal": ("Dear", "Thank you for contacting us.", "Kind regards,\nThe support team"),
    "shorter": ("Hello", "", ""),
}


def split_reply(text: str) -> tuple[str | None, list[str]]:
    """(the name the greeting addressed, or None; the body's paragraphs without greeting,
    opening pleasantries or sign-off)."""
    text = text.replace("\r\n", "\n").strip()
    name = None
    match = GREETING.match(text)
    if match:
        name = " ".join(match.group(1).split()) or None
        text = text[match.end() :]
    body = text.lstrip()
    while True:  # any number of openings: "Thank you for reaching out. Thanks for your message."
        opening = OPENING.match(body)
        if not opening or not opening.group(0).strip():
            break
        body = body[opening.end() :].lstrip()
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if SIGN_OFF.match(line.strip()):
            lines = lines[:i]
            break
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", "\n".join(lines))]
    return name, _dedupe([p for p in paragraphs if p])


def _dedupe(paragraphs: list[str]) -> list[str]:
    """Each sentence once: a repeated phrase in a draft is never the meaning."""
    seen: set[str] = set()
    kept = []
    for paragraph in paragraphs:
        fresh = []
        for sentence in sentences(paragraph):
            key = re.sub(r"\W+", " ", sentence.casefold()).strip()
            if key and key not in seen:
                seen.add(key)
                fresh.append(sentence)
        if fresh:
            kept.append(" ".join(fresh))
    return kept


def _formal(text: str) -> str:
    def expand(m: re.Match) -> str:
        long = CONTRACTIONS[m.group(0).casefold().replace("\u2019", "'")]
        return long[0].upper() + long[1:] if m.group(0)[0].isupper() else long

    pattern = r"\b(?:" + "|".join(re.escape(c) for c in CONTRACTIONS) + r")\b"
    return re.sub(pattern, expand, text, flags=re.IGNORECASE)


def local_rewrite(text: str, style: str) -> str:
    name, paragraphs = split_reply(text)
    word, opening, closing = STYLE_PARTS[style]
    if style == "shorter":
        paragraphs = [" ".join(sentences(" ".join(paragraphs))[:3])] if paragraphs else []
    elif style == "formal":
        paragraphs = [_formal(p) for p in paragraphs]
    first = " ".join(p for p in (opening, paragraphs[0] if paragraphs else "") if p)
    fallback = "customer" if style == "formal" else "there"  # never "Dear there"
    parts = [f"{word} {name or fallback},", first, *paragraphs[1:], closing]
    return "\n\n".join(p for p in parts if p)


def rewrite(
    text: str, style: str, *, options: AIOptions, ticket_id: int | None = None
) -> tuple[str, str]:
    """(rewritten text, provider). Raises ValueError for an unknown style or no text."""
    if style not in STYLES:
        raise ValueError("Unknown style.")
    text = clean_input(text)
    if not text:
        raise ValueError("Nothing to rewrite.")
    reply = gateway.gemini_or_none(
        "rewrite",
        settings=options.model,
        system=prompts.REWRITE_SYSTEM,
        contents=prompts.rewrite_contents(text, style),
        schema=TextOut,
        ticket_id=ticket_id,
    )
    if reply is not None:
        return reply.data["text"].strip(), "gemini"
    usage.record(provider="local", model="rules", purpose="rewrite", ticket_id=ticket_id)
    return local_rewrite(text, style), "local"
