"""Manage 民主管理 and supervise 民主监督: tasks and their progress, inspections, residents' ratings."""
