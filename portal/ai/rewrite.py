"""Rewriting a draft shorter, friendlier or more formal: Gemini when configured, else rules."""

from __future__ import annotations

from portal.ai import gateway, prompts, usage
from portal.ai.options import AIOptions
from portal.ai.providers.gemini import TextOut
from portal.ai.text import clean_input, sentences

STYLES = prompts.REWRITE_STYLES


def local_rewrite(text: str, style: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    greeting = lines[0] if lines and lines[0].lower().startswith(("hello", "hi", "dear")) else ""
    body = " ".join(lines[1:] if greeting else lines)
    name = greeting.split(" ", 1)[1].rstrip(",") if " " in greeting else "there"
    if style == "shorter":
        kept = sentences(body)[:3]
        return "\n\n".join(p for p in (greeting, " ".join(kept)) if p)
    if style == "friendlier":
        return (
            f"Hi {name},\n\nThanks so much for reaching out, happy to help! {body}\n\n"
            "Have a great day!"
        )
    contractions = {
        "don't": "do not",
        "can't": "cannot",
        "won't": "will not",
        "it's": "it is",
        "I'm": "I am",
        "we're": "we are",
        "you're": "you are",
        "doesn't": "does not",
    }
    for short, long in contractions.items():
        body = body.replace(short, long)
    body = body.replace("Thanks so much", "Thank you").replace("happy to help!", "").strip()
    return f"Dear {name},\n\n{body}\n\nKind regards,\nThe support team"


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
