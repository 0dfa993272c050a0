"""All models, re-exported so Alembic sees every table."""

from portal.models.kb import Article
from portal.models.setting import Setting
from portal.models.ticket import (
    CATEGORIES,
    CATEGORY_CHOICES,
    LABELS,
    PRIORITIES,
    PRIORITY_CHOICES,
    RESPONSE_TYPES,
    STATUS_CHOICES,
    STATUSES,
    AIConversation,
    Ticket,
    TicketEvent,
    TicketResponse,
)
from portal.models.user import ROLE_CHOICES, ROLES, User

__all__ = [
    "Article",
    "AIConversation",
    "CATEGORIES",
    "CATEGORY_CHOICES",
    "LABELS",
    "PRIORITIES",
    "PRIORITY_CHOICES",
    "RESPONSE_TYPES",
    "ROLES",
    "ROLE_CHOICES",
    "STATUSES",
    "STATUS_CHOICES",
    "Setting",
    "Ticket",
    "TicketEvent",
    "TicketResponse",
    "User",
]
