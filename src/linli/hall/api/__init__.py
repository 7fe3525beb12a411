"""The service hall 便民服务 API: the public catalogue 服务清单, applications 办件 and the
steps 环节 of their routes.

Thin on purpose, like the registry's: each endpoint parses its input, calls the selector or
service the pages call, and answers with the objects it got, which the schemas read
(`schemas`). The catalogue is public (no token); everything else is scoped by the selectors — an
application or step the caller may not see is a 404, one they see but may not act on a 403. The
applicant's ID and mobile numbers go out through `core.masking.mask`. Every write accepts an
`Idempotency-Key`; writes that act on a record carry the `version` the caller read, and someone
else acting first is a 409.
"""

from .routes_applications import router as applications
from .routes_catalogue import router as catalogue
from .routes_steps import router as steps

__all__ = ["applications", "catalogue", "steps"]
