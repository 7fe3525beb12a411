"""The appeals dashboard 诉求统计: the figures of `appeals.figures` for an area and a period, with
charts, the areas below to drill down into, and the workbook."""
