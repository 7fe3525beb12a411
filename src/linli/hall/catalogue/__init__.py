"""The catalogue 服务清单: categories, items and their versions — writes, reads, forms, pages."""
