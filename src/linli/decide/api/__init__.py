"""The residents-decide matters API 议事事项 (/api/decide/matters): the matters the caller sees
(filters, the queue of what waits for them), one matter with its supporters, opinions, options,
meetings and timeline, proposing one, supporting it (a resident of its community), and the
community's moves on it — take up, merge.

Thin, like the other modules' APIs: each endpoint parses its input, calls the selector or
service the pages call, and answers with the objects it got (`schemas`). A matter outside what
the caller sees is a 404; one they see but may not act on a 403; a move someone made first a
409. Every write accepts an `Idempotency-Key`.
"""

from .routes import router

__all__ = ["router"]
