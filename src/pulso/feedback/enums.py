"""Enumerations of the feedback domain."""

from __future__ import annotations

from enum import StrEnum


class FeedbackSource(StrEnum):
    SURVEY = "survey"
    REVIEW = "review"
    COMPLAINT = "complaint"
    SOCIAL = "social"
    CHAT = "chat"
    IMPORT = "import"
    API = "api"


class ImportKind(StrEnum):
    FEEDBACK = "feedback"
    INTERACTIONS = "interactions"
    CUSTOMERS = "customers"


class ImportStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"  # --all-or-nothing and at least one row was invalid
