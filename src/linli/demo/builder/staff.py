"""Writing the plan's logins, posts and staff accounts, and what happened after registration."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from pypinyin import lazy_pinyin

from linli.accounts import services as account_services
from linli.accounts.models import Grant, User
from linli.core import audit
from linli.core.choices import AuditAction
from linli.core.models import Area
from linli.registry import services as registry_services
from linli.registry.models import Post, Resident

from .. import data
from .base import VillagePlan
from .places import PlaceWriter, grid_name

# The logins this writer makes: 峡山区's, and the city's own accounts (奎文区's are in urban.py).
XIASHAN_LOGINS = data.DISTRICT_LOGINS + data.CITY_LOGINS
# Posts whose holders get a login of their own, and the role it has (see `staff_accounts`).
STAFF_POST_ROLES = {"hall_staff": "community_worker", "grid_worker": "grid_worker"}


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder; ties to the earlier)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


class StaffWriter(PlaceWriter):
    """Writes the rest of a plan once its places and households are in: the logins, the posts,
    the staff accounts of the halls and grids, and what happened after registration."""

    @staticmethod
    def password_hash() -> str:
        """The demo password, hashed once for every login (it meets the password rules)."""
        validate_password(data.DEMO_PASSWORD)
        return make_password(data.DEMO_PASSWORD)

    def _login_area(self, login: data.DemoLogin) -> Area:
        if "/" in login.area:
            village, grid = login.area.split("/")
            return self.areas_by_name[f"{village}{grid}"]
        return self.areas_by_name[login.area]

    def logins(self, villages: list[VillagePlan]) -> None:
        secretaries = {v.name: v.secretary for v in villages}
        password = self.password_hash()
        for login in XIASHAN_LOGINS:
            area = self._login_area(login)
            display = login.display_name
            if "{holder}" in display:
                display = display.format(holder=secretaries[area.name].name)
            user = account_services.user_create(
                actor=None,
                username=login.username,
                password=data.DEMO_PASSWORD,
                password_hash=password,
                display_name=display,
            )
            account_services.grant_create(
                actor=None,
                user=user,
                role=login.role,
                area=area,
                organisation=self.orgs.get(login.organisation) if login.organisation else None,
            )
            self.users[login.role] = user
        liu = Resident.objects.get(name=data.LIU_ZHIHUI.name)
        registry_services.resident_link_account(
            actor=None, resident=liu, account=self.users["resident"]
        )

    def _post(self, **fields) -> Post:
        return registry_services.post_create(actor=None, starts_on=self._since(), **fields)

    def _since(self) -> dt.date:
        """Posts began with the 2014–2015 reform that created the new communities."""
        return dt.date(2014, 9, 1) + dt.timedelta(days=self.rng.randrange(300))

    def posts(self, villages: list[VillagePlan]) -> None:
        linked = {(login.post_kind, login.post_title): login for login in XIASHAN_LOGINS}
        for login in XIASHAN_LOGINS:
            if login.post_kind and login.post_kind != "village_branch_secretary":
                self._post(
                    holder_name=self.users[login.role].display_name,
                    kind=login.post_kind,
                    title=login.post_title,
                    area=self._login_area(login),
                    organisation=self.orgs.get(login.post_organisation),
                    account=self.users[login.role],
                )
        with transaction.atomic():
            self._street_posts(villages)
        for street in data.STREETS:
            with transaction.atomic():
                for community in street.communities:
                    self._community_posts(street.name, community.name)
        with transaction.atomic():
            self._first_secretaries(villages)
        for start in range(0, len(villages), 50):
            with transaction.atomic():
                for village in villages[start : start + 50]:
                    self._village_posts(village, linked)

    def _street_posts(self, villages: list[VillagePlan]) -> None:
        """公务员 and 大学生村官 sent down to the streets, shared out by households."""
        weights = [sum(v.size for v in villages if v.street == s.name) for s in data.STREETS]
        civil = apportion(data.CIVIL_SERVANTS, weights)
        graduates = apportion(data.GRADUATE_VILLAGE_OFFICIALS, weights)
        for street, n_civil, n_graduates in zip(data.STREETS, civil, graduates, strict=True):
            area, office = self.areas_by_name[street.name], self.orgs[f"{street.name}办事处"]
            for kind, title, count in (
                ("civil_servant", "下沉公务员", n_civil),
                ("graduate_village_official", "大学生村官", n_graduates),
            ):
                for _ in range(count):
                    self._post(
                        holder_name=self.planner.cadre_name(),
                        kind=kind,
                        title=f"{street.name}{title}",
                        area=area,
                        organisation=office,
                    )
        # 机关干部 from each street office to its communities, shared out by households.
        communities = [(s, c) for s in data.STREETS for c in s.communities]
        weights = [sum(v.size for v in villages if v.community == c.name) for _s, c in communities]
        for (street, community), count in zip(
            communities, apportion(data.AGENCY_CADRES, weights), strict=True
        ):
            for _ in range(count):
                self._post(
                    holder_name=self.planner.cadre_name(),
                    kind="agency_cadre",
                    title=f"{community.name}街道下派机关干部",
                    area=self.areas_by_name[community.name],
                    organisation=self.orgs[f"{street.name}办事处"],
                )

    def _community_posts(self, street: str, community: str) -> None:
        area = self.areas_by_name[community]
        for kind, title, org in (
            ("general_branch_secretary", "党总支书记", "党总支"),
            ("hall_staff", "便民服务大厅负责人", "便民服务大厅"),
            ("clinic_doctor", "卫生室医生", "卫生室"),
            ("police_officer", "社区民警", "警务室"),
        ):
            organisation = self.orgs.get(f"{community}{org}")
            if organisation is None:  # no clinic or police room here
                continue
            self._post(
                holder_name=self.planner.cadre_name(),
                kind=kind,
                title=f"{community}{title}",
                area=area,
                organisation=organisation,
            )

    def _first_secretaries(self, villages: list[VillagePlan]) -> None:
        """第一书记: the 54 hardest-up villages get one each, sent by the district departments
        in turn."""
        hardest = sorted(villages, key=lambda v: (-v.hardship, v.code))[: data.FIRST_SECRETARIES]
        for index, village in enumerate(sorted(hardest, key=lambda v: v.code)):
            short, department = data.DEPARTMENTS[index % len(data.DEPARTMENTS)]
            self._post(
                holder_name=self.planner.cadre_name(),
                kind="first_secretary",
                title=f"{village.name}第一书记（{short}选派）",
                area=self.areas_by_name[village.name],
                organisation=self.orgs[department],
            )

    def _village_posts(self, village: VillagePlan, linked) -> None:
        area = self.areas_by_name[village.name]
        if village.secretary is not None:
            secretary = self.residents[village.secretary.id_number]
            title = f"{village.name}党支部书记"
            login = linked.get(("village_branch_secretary", title))
            self._post(
                holder_name=secretary.name,
                holder=secretary,
                kind="village_branch_secretary",
                title=f"{village.branch}书记",
                area=area,
                organisation=self.orgs[village.branch],
                account=self.users[login.role] if login else None,
            )
            self._post(
                holder_name=secretary.name,
                holder=secretary,
                kind="general_branch_member",
                title=f"{village.community}党总支委员",
                area=self.areas_by_name[village.community],
                organisation=self.orgs[f"{village.community}党总支"],
            )
        committee = self.orgs[data.VILLAGE_COMMITTEE.format(name=village.name)]
        for grid in range(village.grids):
            title = f"{grid_name(village.name, grid)}网格员"
            if ("grid_worker", title) in linked:
                continue  # held by the demo grid worker, created with the logins
            self._post(
                holder_name=self.planner.cadre_name(),
                kind="grid_worker",
                title=title,
                area=self.grids[village.name, grid],
                organisation=committee,
            )

    def staff_accounts(self, villages: list[VillagePlan]) -> int:
        """Every community's service hall staff (便民服务大厅负责人) and every grid's grid
        worker get a login with the role their post implies — community worker over the
        community, grid worker over the grid — so that every outreach task has someone to do
        it. Written in bulk as the households are: one password hash (the demo password) for
        all, one audit record for the batch. Their user names (`hall_<community in pinyin>`,
        `grid_<village code>_<grid number>`) are not printed with the demo logins."""
        posts = list(
            Post.objects.filter(account__isnull=True, kind__in=STAFF_POST_ROLES)
            .select_related("area")
            .order_by("pk")
        )
        codes = {v.name: v.code for v in villages}
        grids = {area.pk: (codes[v], index + 1) for (v, index), area in self.grids.items()}
        password = self.users["resident"].password  # the demo password, hashed once
        users = []
        for post in posts:
            if post.kind == "grid_worker":
                username = "grid_{}_{}".format(*grids[post.area_id])
            else:
                username = "hall_" + "".join(lazy_pinyin(post.area.name.removesuffix("社区")))
            users.append(User(username=username, display_name=post.holder_name, password=password))
        User.objects.bulk_create(users, batch_size=500)
        grants = [
            Grant(
                user=user,
                role=STAFF_POST_ROLES[post.kind],
                area=post.area,
                starts_on=post.starts_on,
            )
            for post, user in zip(posts, users, strict=True)
        ]
        Grant.objects.bulk_create(grants, batch_size=500)
        for post, user in zip(posts, users, strict=True):
            post.account = user
        Post.objects.bulk_update(posts, ["account"], batch_size=500)
        roles = Counter(grant.role for grant in grants)
        audit.record(
            action=AuditAction.CREATE,
            object_type="accounts.user",
            object_repr=f"{self.source}: staff accounts of the halls and grids",
            changes={"users": len(users), "grants": dict(roles), "posts_linked": len(posts)},
        )
        return len(users)

    def later_changes(self) -> None:
        """What happened after registration, done by the people who did it: the community
        worker records 刘志辉's household as a poor household (困难户)."""
        liu = Resident.objects.select_related("household").get(name=data.LIU_ZHIHUI.name)
        registry_services.household_update(
            actor=self.users["community_worker"],
            household=liu.household,
            tags=[
                (self.household_tags[name], detail) for name, detail in data.LIU_ZHIHUI_LATER_TAGS
            ],
        )
