"""The audit trail as the API returns it."""

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from compound.kit.params import MAX_ID, PlausibleDate


class AuditQuery(BaseModel):
    compound_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    object_type: str | None = Field(default=None, max_length=64)
    object_id: str | None = Field(default=None, max_length=64)
    username: str | None = Field(default=None, max_length=64)
    action: str | None = Field(default=None, max_length=32)
    since: PlausibleDate | None = None
    until: PlausibleDate | None = None


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    compound_id: int | None
    at: datetime
    user_id: int | None
    username: str
    ip: str
    action: str
    object_type: str
    object_id: str
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @field_validator("before", "after", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value
