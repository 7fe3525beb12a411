from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Relation(models.TextChoices):
    """与户主关系 — relation to the head of household (the usual household-register terms)."""

    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    OTHER = "other", _("Other")


class TagTarget(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    RESIDENT = "resident", _("Resident")


class OrganisationKind(models.TextChoices):
    STREET_OFFICE = "street_office", _("Street office")
    GENERAL_PARTY_BRANCH = "general_party_branch", _("General party branch")
    VILLAGE_PARTY_BRANCH = "village_party_branch", _("Village party branch")
    DEPARTMENT = "department", _("District department")
    SERVICE_HALL = "service_hall", _("Service hall")
    CLINIC = "clinic", _("Clinic")
    POLICE_ROOM = "police_room", _("Police room")
    VILLAGE_COMMITTEE = "village_committee", _("Village committee")
    OTHER = "other", _("Other organisation")


class PostKind(models.TextChoices):
    """职务 kinds, including the postings the source counts."""

    FIRST_SECRETARY = "first_secretary", _("First secretary")
    CIVIL_SERVANT = "civil_servant", _("Civil servant posted down")
    GRADUATE_VILLAGE_OFFICIAL = "graduate_village_official", _("Graduate village official")
    AGENCY_CADRE = "agency_cadre", _("Agency cadre posted to a community")
    GENERAL_BRANCH_SECRETARY = "general_branch_secretary", _("General party branch secretary")
    GENERAL_BRANCH_MEMBER = "general_branch_member", _("General party branch member")
    VILLAGE_BRANCH_SECRETARY = "village_branch_secretary", _("Village party branch secretary")
    VILLAGE_COMMITTEE_DIRECTOR = "village_committee_director", _("Village committee director")
    GRID_WORKER = "grid_worker", _("Grid worker")
    BUILDING_HEAD = "building_head", _("Building head")
    HALL_STAFF = "hall_staff", _("Service hall staff")
    CLINIC_DOCTOR = "clinic_doctor", _("Clinic doctor")
    POLICE_OFFICER = "police_officer", _("Community police officer")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    DISTRICT_LEADER = "district_leader", _("District leader")
    OTHER = "other", _("Other post")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    CHECKING = "checking", _("Checking rows")
    WRITING = "writing", _("Writing to the register")
    DONE = "done", _("Imported")
    CHECKED = "checked", _("Checked (trial run, nothing written)")
    REJECTED = "rejected", _("Not imported: errors found")
    FAILED = "failed", _("Failed")
