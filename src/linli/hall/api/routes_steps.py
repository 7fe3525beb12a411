"""The steps 环节 of application routes: the queue at the caller's offices, one step, and its
result. An office does not see a step before it arrives there (404)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import Query, Router

from linli.core.api import (
    IdempotencyKeyHeader,
    PageQuery,
    PathId,
    as_json,
    conflict_answer,
    idempotent,
    page,
    responses,
)

from ..applications import selectors, services
from .schemas import QueueStepOut, StepFinishIn, StepPage

router = Router(tags=["steps"])


@router.get("", response=responses({200: StepPage}), operation_id="step_queue")
def list_steps(request, params: Query[PageQuery]):
    """待办 — the steps waiting at the caller's offices, the nearest deadline first."""
    return page(selectors.step_queue(user=request.auth), params)


@router.get("/{id}", response=responses({200: QueueStepOut}), operation_id="step_get")
def get_step(request, id: PathId):
    """A step of one of the caller's offices, in any state; 404 for any other."""
    return selectors.step_get(user=request.auth, pk=id)


@router.post("/{id}/finish", response=responses({200: QueueStepOut}), operation_id="step_finish")
def finish_step(
    request,
    response: HttpResponse,
    id: PathId,
    payload: StepFinishIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """The result of the active step at its office: `approve` passes it on (or completes the
    application after the last step), `return` sends it back for missing material, `reject`
    ends it. Someone finished it first → 409 saying who and when; nothing changes."""
    user = request.auth

    def write():
        step = selectors.step_get(user=user, pk=id)
        try:
            services.step_finish(
                actor=user,
                step=step,
                result=payload.result,
                note=payload.note,
                expected_version=payload.version,
            )
        except ValidationError as error:
            conflict = conflict_answer(error)
            if conflict is None:
                raise
            return conflict
        return 200, as_json(QueueStepOut, selectors.step_get(user=user, pk=id), request)

    return idempotent(request, response, idempotency_key, write)
