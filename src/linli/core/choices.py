from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaKind(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    TOWN = "town", _("Town")
    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")
    COMPOUND = "compound", _("Compound")
    BUILDING = "building", _("Building")
    GRID = "grid", _("Grid")


# Which kinds may sit directly under which: a district under a city, a village or compound
# belongs to a community, a grid or building to a village, compound or community (urban grids
# span a community).
ALLOWED_PARENT_KINDS: dict[str, set[str]] = {
    AreaKind.CITY: set(),
    AreaKind.DISTRICT: {AreaKind.CITY},
    AreaKind.STREET: {AreaKind.DISTRICT},
    AreaKind.TOWN: {AreaKind.DISTRICT},
    AreaKind.COMMUNITY: {AreaKind.STREET, AreaKind.TOWN},
    AreaKind.VILLAGE: {AreaKind.COMMUNITY},
    AreaKind.COMPOUND: {AreaKind.COMMUNITY},
    AreaKind.BUILDING: {AreaKind.VILLAGE, AreaKind.COMPOUND, AreaKind.GRID},
    AreaKind.GRID: {AreaKind.VILLAGE, AreaKind.COMPOUND, AreaKind.COMMUNITY},
}
# The kinds that may be the root of a tree: a city, or a district on its own (a Linli that
# serves one district).
ROOT_KINDS: frozenset[str] = frozenset({AreaKind.CITY, AreaKind.DISTRICT})


class AuditAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    MOVE = "move", _("Move")
    REVEAL = "reveal", _("Reveal")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    LOGIN = "login", _("Log in")
    LOGOUT = "logout", _("Log out")
    LOGIN_FAILED = "login_failed", _("Failed login")
    DENIED = "denied", _("Access denied")
    AUDIT_KEY = "audit_key", _("Audit key rotation")
    BACKUP = "backup", _("Backup")
    RESTORE = "restore", _("Restore from a backup")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")


class Channel(models.TextChoices):
    WEB = "web", _("Web page")
    API = "api", _("API")
    CLI = "cli", _("Command line")
    SYSTEM = "system", _("System")
