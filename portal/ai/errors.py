"""The one error the AI raises to its callers."""


class AIUnavailable(Exception):
    """The AI could not give an answer (switched off, no model, every provider failed)."""
