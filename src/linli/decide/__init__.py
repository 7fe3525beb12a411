"""Residents decide 由民做主 — the five-democracy method 五民主工作法 as one workflow for a matter."""
