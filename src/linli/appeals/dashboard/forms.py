"""The dashboard's period form: `core.periods.PeriodForm` (kept here under its old name)."""

from linli.core.periods import MAX_PERIOD_DAYS, PERIOD_CHOICES, PeriodForm

__all__ = ["MAX_PERIOD_DAYS", "PERIOD_CHOICES", "PeriodForm"]
