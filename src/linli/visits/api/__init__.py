"""The five links and visits 五联走访 API: contact assignments 联系责任, visits 走访, the needs
they found 需求, coverage 覆盖, the gap list 空白点 and the households overdue for a visit.

Thin on purpose, like the registry's and the service hall's: each endpoint parses its input,
calls the selector or service the pages call, and answers with the objects it got, which the
schemas read (`schemas`). Every read starts from what the caller may see (`visits.view`); a
record outside it is a 404, as on the pages. Writes check the caller's role first (403 for a role
that never may), then leave the scope to the service: recording a visit for a household outside
the caller's `visits.record` area is a 404 and writes nothing. Names are shown as the pages show
them; a household head's mobile number goes out through `core.masking.mask`. Every write accepts
an `Idempotency-Key`.
"""

from ninja import Router

from . import routes_assignments, routes_reports, routes_visits

router = Router(tags=["visits"])
router.add_router("", routes_assignments.router)
router.add_router("", routes_visits.router)
router.add_router("", routes_reports.router)

__all__ = ["router"]
