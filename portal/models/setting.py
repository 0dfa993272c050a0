from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db


class Setting(db.Model):
    """One admin setting. Values are JSON so booleans and numbers keep their type."""

    __tablename__ = "settings"

    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    value: so.Mapped[object] = so.mapped_column(sa.JSON)
