"""Roles 角色 and what each may do. A grant 授权 gives one role over one area subtree.

Permissions are `<family>.<action>`; the families are the `ScopeSpec.family` names of the
models (see core.scoping). Roles are code because the security model depends on them; what each
role may see is still limited by the area of the grant.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_WORKER = "grid_worker", _("Grid worker")
    VILLAGE_CADRE = "village_cadre", _("Village cadre")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    STREET_CADRE = "street_cadre", _("Street cadre")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    DISTRICT_LEADER = "district_leader", _("District leader")
    PANEL_MEMBER = "panel_member", _("Advisory or supervision panel member")
    SUPERVISION_PANEL_MEMBER = "supervision_panel_member", _("Supervision panel member")
    OPINION_COLLECTOR = "opinion_collector", _("Opinion collector")
    ADMINISTRATOR = "administrator", _("Administrator")
    SECURITY_OFFICER = "security_officer", _("Security officer")
    AUDITOR = "auditor", _("Auditor")


_REGISTRY_WORKER = {
    "area.view",
    "registry.view",
    "registry.add",
    "registry.change",
    "registry.reveal",
    "registry.import",
    "registry.export",
    "organisation.view",
}

# The service hall: services.view/apply/handle act on applications in the grant's area;
# services.step acts on route steps at the grant's own office (see hall.applications.selectors);
# outreach.* on outreach tasks; services.rate is a resident's rating of their own application.
_VISITING_WORKER = {"services.view", "services.apply", "outreach.view", "outreach.work"}
_HALL_WORKER = _VISITING_WORKER | {"services.handle", "services.step", "services.rate", "hall.view"}

# Five links and visits: visits.view reads visits, needs, assignments and coverage in the grant's
# area; visits.record records visits (only for households in that area) and hands needs on;
# visits.assign sets up contact assignments; visits.policy edits the visit policies.
_VISITS_RECORD = {"visits.view", "visits.record"}
_VISITS_LEAD = _VISITS_RECORD | {"visits.assign"}

# Appeals 诉求: appeals.view reads appeals whose place is in the grant's area (a resident's: those
# their household raised); appeals.report records a new one there (a resident: their own, on the
# phone); appeals.village / .community / .street handle (take, settle, hand up, send to the
# department) the appeals waiting at that tier in the grant's area; appeals.department handles
# those waiting at the department the grant names; appeals.return_visit records the return
# visit 回访 (a resident: on their own appeal); appeals.supervise is told when an appeal's time
# limit passes at the tiers below; appeals.categories edits the appeal categories.
_APPEALS_FRONT = {"appeals.view", "appeals.report", "appeals.return_visit"}

# Residents decide 由民做主: decide.view reads the matters, votes, tasks and commitments of the
# grant's area (a resident reads their own community's on the board, whatever their grant);
# decide.propose raises a matter there (a resident: in their own community, for themselves; an
# opinion collector or staff: on a resident's behalf) and records neighbours' opinions;
# decide.participate supports, votes and rates as a resident of the community; decide.manage
# runs the community's side (take up, merge, meetings, votes, tasks, the board);
# decide.advise writes options as an advisory panel member; decide.inspect records inspections
# as a supervision panel member; decide.task reports on tasks given to the grant's organisation;
# decide.categories edits the matter categories.
_DECIDE_FRONT = {"decide.view", "decide.propose"}
_DECIDE_STAFF = _DECIDE_FRONT | {"decide.manage"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.RESIDENT: frozenset(
        {"registry.view", "services.view", "services.apply", "services.rate"}
        | _APPEALS_FRONT
        | {"decide.propose", "decide.participate"}
    ),
    Role.GRID_WORKER: frozenset(
        _REGISTRY_WORKER
        | _VISITING_WORKER
        | _VISITS_RECORD
        | _APPEALS_FRONT
        | {"appeals.village"}
        | _DECIDE_FRONT
    ),
    Role.VILLAGE_CADRE: frozenset(
        _REGISTRY_WORKER
        | _VISITING_WORKER
        | _VISITS_LEAD
        | _APPEALS_FRONT
        | {"appeals.village"}
        | _DECIDE_STAFF
    ),
    Role.COMMUNITY_WORKER: frozenset(
        _REGISTRY_WORKER
        | _HALL_WORKER
        | _VISITS_LEAD
        | _APPEALS_FRONT
        | {"appeals.community"}
        | _DECIDE_STAFF
    ),
    Role.STREET_CADRE: frozenset(
        {"area.view", "registry.view", "registry.reveal", "registry.export", "organisation.view"}
        | {"services.view", "services.step", "outreach.view", "hall.view"}
        | _VISITS_LEAD
        | _APPEALS_FRONT
        | {"appeals.street", "appeals.supervise"}
        | {"decide.view"}
    ),
    Role.DEPARTMENT_STAFF: frozenset(
        {"area.view", "organisation.view", "services.step", "appeals.department", "decide.task"}
    ),
    Role.DISTRICT_LEADER: frozenset(
        {"area.view", "registry.view", "registry.export", "organisation.view"}
        | {"services.view", "outreach.view", "hall.view"}
        | _VISITS_LEAD
        | {"appeals.view", "appeals.supervise"}
        | {"decide.view"}
    ),
    # The residents-decide roles. A panel member sits on the advisory panel 顾问团 (writes
    # options) or the supervision panel 监督团 (records inspections) — the seat on the panel says
    # which; a supervision panel member only inspects; an opinion collector 民情服务队员 (keen
    # elders, building heads 楼长) raises matters on residents' behalf and writes down what
    # neighbours say.
    Role.PANEL_MEMBER: frozenset({"area.view", "decide.view", "decide.advise", "decide.inspect"}),
    Role.SUPERVISION_PANEL_MEMBER: frozenset({"area.view", "decide.view", "decide.inspect"}),
    Role.OPINION_COLLECTOR: frozenset({"area.view", "decide.view", "decide.propose"}),
    Role.ADMINISTRATOR: frozenset(
        {
            "area.view",
            "area.add",
            "area.change",
            "organisation.view",
            "organisation.change",
            "tags.manage",
            "accounts.manage",
            "catalogue.manage",
            "calendar.manage",
            "visits.policy",
            "appeals.categories",
            "decide.categories",
        }
    ),
    Role.SECURITY_OFFICER: frozenset({"area.view", "grants.manage", "accounts.unlock"}),
    Role.AUDITOR: frozenset({"area.view", "audit.view"}),
}

# 三权分立: whoever holds one of these holds no other role at all.
SEPARATED_ROLES = frozenset({Role.ADMINISTRATOR, Role.SECURITY_OFFICER, Role.AUDITOR})

# A resident's grant covers their own household only, never the area around it.
OWN_HOUSEHOLD_ROLES = frozenset({Role.RESIDENT})

STAFF_ROLES = frozenset(Role) - OWN_HOUSEHOLD_ROLES

# Roles a person holds. A system account 系统账号 (another system calling the API) holds none of
# them; the roles a channel such as a 12345 gateway may hold will be the ones outside this set.
PERSONAL_ROLES = frozenset(Role)
