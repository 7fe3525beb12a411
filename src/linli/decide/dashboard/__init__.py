"""The residents-decide dashboard 由民做主统计: cards, charts, drill-down and a workbook."""
