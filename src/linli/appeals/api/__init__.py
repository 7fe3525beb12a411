"""The appeals 诉求 API: the appeals the caller sees (filters, a tier's queue), one appeal with
its steps, return visits and timeline, raising one (staff), and the handler's operations —
take, settle, hand up, send to the department — and the return visit 回访.

Thin, like the other modules' APIs: each endpoint parses its input, calls the selector or
service the pages call, and answers with the objects it got (`schemas`). Every read starts from
what the caller may see; an appeal outside it is a 404. Raising one checks the role first (403
for a role that never may), then leaves the place's scope to the service (a place outside it is
a 404, nothing stored). The operations leave who may act where to the services (403 for one
who sees the appeal but does not handle it where it waits; 409 when someone acted first). Every
write accepts an `Idempotency-Key`.
"""

from .routes import categories, router

__all__ = ["categories", "router"]
