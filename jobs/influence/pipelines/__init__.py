"""Pipelines connect IO and transforms; each has one ``run`` and reports progress
through an optional ``step`` callback (the CLI shows it, Airflow logs it)."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager, nullcontext
from typing import Callable

Step = Callable[[str], AbstractContextManager]


def no_progress(_: str) -> AbstractContextManager:
    return nullcontext()


def new_run_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"
