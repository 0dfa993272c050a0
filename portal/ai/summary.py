"""A short summary of a long thread for staff (public and internal messages)."""

from __future__ import annotations

from portal.ai import gateway, prompts, usage
from portal.ai.inputs import TicketText
from portal.ai.options import AIOptions
from portal.ai.providers.gemini import TextOut
from portal.ai.results import SummaryResult
from portal.ai.text import excerpt, sentences


def summarize(ticket: TicketText, *, options: AIOptions) -> SummaryResult:
    thread = [
        {"from": "staff note" if m.internal else m.role, "text": excerpt(m.text, 1200)}
        for m in ticket.messages
    ][-30:]
    reply = gateway.gemini_or_none(
        "summary",
        settings=options.model,
        system=prompts.SUMMARY_SYSTEM,
        contents=prompts.summary_contents(ticket.title, ticket.description, thread),
        schema=TextOut,
        ticket_id=ticket.id,
    )
    if reply is not None:
        return SummaryResult(reply.data["text"].strip(), "gemini")
    first = (sentences(ticket.description) or [ticket.title])[0]
    lines = [f"Problem: {excerpt(first, 300)}"]
    for turn in thread[-6:]:
        said = (sentences(turn["text"]) or [""])[0]
        lines.append(f"{turn['from'].capitalize()}: {excerpt(said, 200)}")
    lines.append(f"Status: {ticket.status.replace('_', ' ')}.")
    usage.record(provider="local", model="extractive", purpose="summary", ticket_id=ticket.id)
    return SummaryResult("\n".join(lines), "local")
