"""Applications 办件: taking them, the route through the offices, escalation, pages."""
