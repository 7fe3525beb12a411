"""`linli figures` on a deployment with no areas yet: told so, not a traceback (apart from
tests/registry/test_figures.py, whose tests share a district)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command


def test_command_without_areas(db):
    with pytest.raises(CommandError, match="no areas yet"):
        call_command("figures")
