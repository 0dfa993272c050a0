"""Typed errors services raise; views turn them into messages beside fields or 4xx pages."""


class TicketError(ValueError):
    """Input a user can fix. `field` names the form field the message belongs beside."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StaleTicket(TicketError):
    """The ticket changed after the form was loaded."""


class PermissionDenied(Exception):
    pass


class NotFound(LookupError):
    """No such row, or not one the caller may see: answered as a 404 either way."""
