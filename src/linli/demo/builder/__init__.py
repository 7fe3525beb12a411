"""Builds the 峡山区 demo district 演示辖区 with the source's figures: 4 streets, 26 communities,
277 villages, 65,549 households of which 2,271 poor (困难户), the organisations (26 general party
branches, 275 village party branches, 26 service halls, 22 clinics, 24 police rooms …), the posts
the source counts (54 first secretaries, 27 civil servants, 6 graduate village officials, 142
agency cadres, 275 village party secretaries on the general branches) and one login per role.

The build has two halves. `plan_district()` draws every person and household from one seeded
random generator and fixed name lists (data.py), so the same seed gives the same district on any
machine on the same day (ages are counted back from today). It touches no database and takes a
few seconds for the full district. `build_demo()` then writes the plan: places, tags,
organisations, logins and posts through the ordinary services (with `actor=None` as a trusted
system job, so each has its audit record), the households and people through the register
writer an Excel import uses (`registry.importing.writer`: bulk rows, one timeline line per
household, one audit record for the batch), and what happened after registration through the
services again, by the people who did it. Last come the five links and a year of visits
(visits.py), and a year of appeals 诉求 from every channel with their categories (appeals.py),
with the visit states and coverage summaries the visits module keeps.

`size="small"` builds the same places, organisations and posts with only a handful of
households a village — for tests and for trying things out.

The district sits in the demo city 潍坊市 (the root of the area tree); once it is complete,
`urban` plans and writes 奎文区's 东关街道 beside it from a generator of its own — communities of
old estates, each 楼院 a grid with its building head 楼长, households by building, unit and room —
so 峡山区 is the same with or without it.

The modules: `base` (the sizes, the errors, the plan's records), `people` (drawing a person or a
household), `planner` (the district: `plan_district`), `places` (writing the places, tags,
organisations and households), `staff` (the logins, posts and staff accounts), `urban` (奎文区)
and `build` (`build_demo`, `build_places`: each step in its own transaction).
"""

from .base import SIZES, DemoAlreadyBuilt, DemoError, HouseholdPlan, PersonPlan, VillagePlan
from .build import DemoSummary, build_demo, build_places, check_can_build, demo_counts, demo_exists
from .people import PeoplePlanner, check_digit
from .places import grid_name, household_record
from .planner import Planner, grid_count, plan_district, village_codes
from .staff import STAFF_POST_ROLES, apportion

__all__ = [
    "SIZES",
    "STAFF_POST_ROLES",
    "DemoAlreadyBuilt",
    "DemoError",
    "DemoSummary",
    "HouseholdPlan",
    "PeoplePlanner",
    "PersonPlan",
    "Planner",
    "VillagePlan",
    "apportion",
    "build_demo",
    "build_places",
    "check_can_build",
    "check_digit",
    "demo_counts",
    "demo_exists",
    "grid_count",
    "grid_name",
    "household_record",
    "plan_district",
    "village_codes",
]
