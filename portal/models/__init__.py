"""All models, re-exported so Alembic sees every table."""

from portal.models.ai import AIFeedback, AISuggestion, AIThreshold, AIUsage  # noqa: F401
from portal.models.api_token import ApiToken
from portal.models.canned import CannedReply
from portal.models.kb import Article, ArticleReader
from portal.models.mail import FailedMail, MailMessage
from portal.models.notification import Notification
from portal.models.satisfaction import RATINGS, TicketSatisfaction
from portal.models.saved_view import SavedView
from portal.models.setting import Setting
from portal.models.sla import SLAPolicy
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
    TicketParticipant,
    TicketResponse,
)
from portal.models.user import ROLE_CHOICES, ROLES, User

__all__ = [
    "ApiToken",
    "Article",
    "ArticleReader",
    "AIConversation",
    "CannedReply",
    "CATEGORIES",
    "CATEGORY_CHOICES",
    "FailedMail",
    "LABELS",
    "MailMessage",
    "Notification",
    "PRIORITIES",
    "PRIORITY_CHOICES",
    "RATINGS",
    "RESPONSE_TYPES",
    "SavedView",
    "ROLES",
    "ROLE_CHOICES",
    "STATUSES",
    "STATUS_CHOICES",
    "Setting",
    "SLAPolicy",
    "Ticket",
    "TicketEvent",
    "TicketParticipant",
    "TicketResponse",
    "TicketSatisfaction",
    "User",
]
