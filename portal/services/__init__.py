"""Services: the only code that changes tickets, replies and settings."""
