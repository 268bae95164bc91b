"""The modules that define background jobs; the consumer imports them all so every job is known."""

from __future__ import annotations

import importlib

TASK_MODULES = ("pulso.feedback.tasks", "pulso.text.tasks", "pulso.cases.tasks", "pulso.notifications.tasks")


def load_all_tasks() -> None:
    for name in TASK_MODULES:
        importlib.import_module(name)
