"""What the AI is asked about: plain copies of a ticket and its thread, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    role: str  # "user" | "staff" | "ai" | "system"
    text: str
    internal: bool = False


@dataclass(frozen=True)
class TicketText:
    id: int | None
    title: str
    description: str
    category: str | None = None
    status: str = "open"
    requester_name: str | None = None
    messages: tuple[Message, ...] = field(default_factory=tuple)

    @property
    def public_messages(self) -> list[Message]:
        return [m for m in self.messages if not m.internal]


@dataclass(frozen=True)
class ChatTurn:
    role: str  # "user" | "assistant"
    text: str
