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
    PANEL_MEMBER = "panel_member", _("Advisory panel member")
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

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.RESIDENT: frozenset(
        {"registry.view", "services.view", "services.apply", "services.rate"} | _APPEALS_FRONT
    ),
    Role.GRID_WORKER: frozenset(
        _REGISTRY_WORKER | _VISITING_WORKER | _VISITS_RECORD | _APPEALS_FRONT | {"appeals.village"}
    ),
    Role.VILLAGE_CADRE: frozenset(
        _REGISTRY_WORKER | _VISITING_WORKER | _VISITS_LEAD | _APPEALS_FRONT | {"appeals.village"}
    ),
    Role.COMMUNITY_WORKER: frozenset(
        _REGISTRY_WORKER | _HALL_WORKER | _VISITS_LEAD | _APPEALS_FRONT | {"appeals.community"}
    ),
    Role.STREET_CADRE: frozenset(
        {"area.view", "registry.view", "registry.reveal", "registry.export", "organisation.view"}
        | {"services.view", "services.step", "outreach.view", "hall.view"}
        | _VISITS_LEAD
        | _APPEALS_FRONT
        | {"appeals.street", "appeals.supervise"}
    ),
    Role.DEPARTMENT_STAFF: frozenset(
        {"area.view", "organisation.view", "services.step", "appeals.department"}
    ),
    Role.DISTRICT_LEADER: frozenset(
        {"area.view", "registry.view", "registry.export", "organisation.view"}
        | {"services.view", "outreach.view", "hall.view"}
        | _VISITS_LEAD
        | {"appeals.view", "appeals.supervise"}
    ),
    # The residents-decide roles: a panel member of the advisory panel 顾问团 or the supervision
    # panel 监督团, and an opinion collector 民情服务队员 (keen elders, building heads 楼长). They
    # hold no more than the area tree for now; the residents-decide module gives them their
    # permissions (proposing for residents, writing options, inspecting).
    Role.PANEL_MEMBER: frozenset({"area.view"}),
    Role.SUPERVISION_PANEL_MEMBER: frozenset({"area.view"}),
    Role.OPINION_COLLECTOR: frozenset({"area.view"}),
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
