"""分工任务 — the tasks endpoints (/api/decide/tasks): the tasks you may see, one task with its
progress reports, a progress report (idempotency key), and a resident's rating 由民评定 of a
matter's result (idempotency key). Photos are sent through the pages (checked by their bytes)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from linli.core.api import (
    Id,
    IdempotencyKeyHeader,
    InputSchema,
    Label,
    OutputSchema,
    PageQuery,
    PathId,
    Version,
    as_json,
    idempotent,
    page,
    responses,
    text,
)
from linli.core.scoping import OutOfScope

from ..choices import Rating, TaskState
from ..models import Matter
from . import selectors, services

router = Router(tags=["decide"])

RatingChoice = Literal["satisfied", "basically", "dissatisfied"]
StateChoice = Literal["open", "done", "overdue"]
assert set(RatingChoice.__args__) == set(Rating.values)  # type: ignore[attr-defined]
assert set(StateChoice.__args__) - {"overdue"} == set(TaskState.values)  # type: ignore[attr-defined]


class Ref(OutputSchema):
    id: int
    name: str


class MatterRef(OutputSchema):
    id: int
    number: str
    title: str
    stage: str


class ReportOut(OutputSchema):
    id: int
    percent: int
    text: str
    reported_at: dt.datetime


class TaskOut(OutputSchema):
    id: int
    matter: MatterRef
    round: int
    title: str
    organisation: Ref
    owner_name: str
    due_on: dt.date
    state: str
    state_label: Label = Field(alias="get_state_display")
    percent: int
    done_at: dt.datetime | None
    overdue: bool
    version: int

    @staticmethod
    def resolve_overdue(task):
        return selectors.task_overdue(task)


class TaskDetailOut(TaskOut):
    reports: list[ReportOut] = Field(alias="reports.all")


class TaskPage(Schema):
    count: int
    items: list[TaskOut]


class TaskQuery(PageQuery):
    state: StateChoice | None = None
    matter: Id | None = None


class ReportIn(InputSchema):
    text: text(services.TEXT_LENGTH, min_length=1)  # type: ignore[valid-type]
    percent: int = Field(ge=0, le=100)
    setback: bool = Field(False, description="Progress went back (say why in the text)")
    version: Version | None = None


class RatingIn(InputSchema):
    rating: RatingChoice
    note: text(services.NOTE_LENGTH) = ""  # type: ignore[valid-type]


class RatingOut(OutputSchema):
    id: int
    matter: int = Field(alias="matter_id")
    round: int
    rating: RatingChoice
    note: str


@router.get("", response=responses({200: TaskPage}), operation_id="matter_task_list")
def list_tasks(request, filters: Query[TaskQuery]):
    """分工任务 — the tasks you may see (the community's staff; department staff their
    organisation's; an owner their own), open ones first, the nearest deadline first."""
    user = request.auth
    if not (user.has_permission("decide.view") or user.has_permission(services.REPORT_TASK)):
        raise PermissionDenied
    rows = selectors.task_list(
        user=user,
        filters=selectors.TaskFilters(state=filters.state or "", matter=filters.matter),
    )
    return page(rows, filters)


@router.get("/{id}", response=responses({200: TaskDetailOut}), operation_id="matter_task_get")
def get_task(request, id: PathId):
    """One task with its progress reports."""
    return selectors.task_get(user=request.auth, pk=id)


@router.post(
    "/{id}/reports", response=responses({201: TaskDetailOut}), operation_id="matter_task_report"
)
def report_task(
    request,
    response: HttpResponse,
    id: PathId,
    payload: ReportIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """进展 — report how far the task is (0–100; 100 is done). Less than before only with
    `setback`."""
    user = request.auth

    def write():
        task = selectors.task_get(user=user, pk=id)
        services.task_report(
            actor=user,
            task=task,
            text=payload.text,
            percent=payload.percent,
            setback=payload.setback,
            expected_version=payload.version,
        )
        return 201, as_json(TaskDetailOut, selectors.task_get(user=user, pk=id), request)

    return idempotent(request, response, idempotency_key, write)


@router.post(
    "/matters/{id}/ratings",
    response=responses({201: RatingOut}),
    operation_id="matter_rating_give",
)
def give_rating(
    request,
    response: HttpResponse,
    id: PathId,
    payload: RatingIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """由民评定 — a resident rates a matter's result for their household (once a round), while
    the matter is under supervision."""
    user = request.auth

    def write():
        matter = Matter.objects.filter(pk=id).first()
        if matter is None:
            raise OutOfScope(Matter, id)
        given = services.rating_give(
            actor=user, matter=matter, rating=payload.rating, note=payload.note
        )
        return 201, as_json(RatingOut, given, request)

    return idempotent(request, response, idempotency_key, write)
