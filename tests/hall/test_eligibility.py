"""Eligibility rules 服务对象条件: every condition kind and their combinations on a small
hand-made registry, checked through SQL (`to_q`) and through the Python twin (`holds`, which
gives the reasons) so the two can never disagree; the validation messages; the sentences."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db.models import Prefetch
from django.utils import timezone

from linli.hall.outreach import eligibility
from linli.registry import services as registry_services
from linli.registry.models import Household, HouseholdTag, Resident, ResidentTag

from .. import factories as f

# The scan date of these tests: today, as the scan's default (grants start today).
TODAY = timezone.localdate()


def born(age: int, *, before_birthday: bool = False) -> dt.date:
    """A birth date that makes someone `age` on TODAY (or one day short of `age` + 1)."""
    day = eligibility.years_before(TODAY, age)
    return (
        day if not before_birthday else eligibility.years_before(TODAY, age + 1) + dt.timedelta(1)
    )


def person(household, name, age, *, male, relation, tags=(), before_birthday=False):
    return registry_services.resident_create(
        actor=None,
        household=household,
        name=name,
        id_number=f.make_id_number(born(age, before_birthday=before_birthday), male=male),
        relation=relation,
        tags=tags,
    )


def vocabulary():
    return SimpleNamespace(
        poor=f.tag("困难户", "household", sensitive=True, sort_order=1),
        dibao=f.tag("低保", "household", sensitive=True, sort_order=2),
        disabled_family=f.tag("残疾人家庭", "household", sensitive=True, sort_order=3),
        military=f.tag("军属", "household", detail_label="类别", detail_choices=["现役", "退役"]),
        disabled=f.tag(
            "残疾",
            "resident",
            sensitive=True,
            detail_label="残疾等级",
            detail_choices=["一级", "二级", "三级", "四级"],
        ),
        pupil=f.tag(
            "在校学生",
            "resident",
            detail_label="学段",
            detail_choices=["学前", "小学", "初中", "高中", "大学"],
        ),
        old=f.tag("80岁以上", "resident"),
        party=f.tag("党员", "resident"),
        chronic=f.tag("慢性病", "resident", sensitive=True, detail_label="病种"),
    )


def build_registry():
    """Five households in two villages of two communities:

    liu     困难户, 残疾人家庭 — head 刘志辉 (m, 41, 残疾 二级), spouse 王秀英 (f, 39),
            child 刘欣怡 (f, 9, 在校学生 小学)
    elder   head 张大山 (m, 85, 80岁以上), spouse 李翠兰 (f, 80 tomorrow: 79 today)
    student 低保, 军属 (现役) — head 李四 (m, 45, 党员), child 李小明 (m, 16, 在校学生 高中)
    plain   head 王芳 (f, 30, 慢性病 高血压)
    headless no head: one member 赵六 (m, 60, relation other)
    """
    t = vocabulary()
    district = f.area("峡山区", "district")
    street = f.area("太保庄街道", "street", district)
    wenling = f.area("文岭社区", "community", street)
    yinghui = f.area("营辉社区", "community", street)
    wangjia = f.area("王家庄村", "village", wenling)
    yingcun = f.area("营辉村", "village", yinghui)
    grid = f.area("王家庄村第一网格", "grid", wangjia)

    def household(area, number, tags=()):
        return registry_services.household_create(
            actor=None, area=area, number=number, address=f"{area.name}{number}号", tags=tags
        )

    liu = household(grid, "H1", [(t.poor, ""), (t.disabled_family, "")])
    person(liu, "刘志辉", 41, male=True, relation="head", tags=[(t.disabled, "二级")])
    person(liu, "王秀英", 39, male=False, relation="spouse")
    person(liu, "刘欣怡", 9, male=False, relation="child", tags=[(t.pupil, "小学")])
    elder = household(wangjia, "H2")
    person(elder, "张大山", 85, male=True, relation="head", tags=[(t.old, "")])
    person(elder, "李翠兰", 79, male=False, relation="spouse", before_birthday=True)
    student = household(yingcun, "H3", [(t.dibao, ""), (t.military, "现役")])
    person(student, "李四", 45, male=True, relation="head", tags=[(t.party, "")])
    person(student, "李小明", 16, male=True, relation="child", tags=[(t.pupil, "高中")])
    plain = household(yingcun, "H4")
    person(plain, "王芳", 30, male=False, relation="head", tags=[(t.chronic, "高血压")])
    headless = household(yingcun, "H5")
    person(headless, "赵六", 60, male=True, relation="other")
    households = {
        name: Household.objects.get(pk=h.pk)
        for name, h in {
            "liu": liu,
            "elder": elder,
            "student": student,
            "plain": plain,
            "headless": headless,
        }.items()
    }
    return SimpleNamespace(
        tags=t,
        district=district,
        street=street,
        wenling=wenling,
        yinghui=yinghui,
        wangjia=wangjia,
        yingcun=yingcun,
        grid=grid,
        **households,
    )


SHARED = {"reg": build_registry}  # built once for the module (tests/sharing.py)


@pytest.fixture
def reg(shared):
    return shared("reg")


def found_by_sql(rule) -> set[str]:
    q = eligibility.to_q(rule, TODAY)
    return set(Household.objects.filter(q).values_list("number", flat=True))


def loaded_households():
    return Household.objects.prefetch_related(
        Prefetch("tag_links", queryset=HouseholdTag.objects.select_related("tag")),
        Prefetch(
            "members",
            queryset=Resident.objects.prefetch_related(
                Prefetch("tag_links", queryset=ResidentTag.objects.select_related("tag"))
            ),
        ),
    )


def found_by_python(rule) -> set[str]:
    return {
        h.number for h in loaded_households() if eligibility.holds(rule, h, h.members.all(), TODAY)
    }


def found_by_facts(rule) -> set[str]:
    """The scan's way: facts read as plain rows for many households at once."""
    numbers = dict(Household.objects.values_list("pk", "number"))
    facts = eligibility.facts_of(list(numbers), TODAY, eligibility.Vocabulary.load())
    return {numbers[pk] for pk, f in facts.items() if eligibility.explain(rule, f)}


def found(rule) -> set[str]:
    """Households the rule finds; SQL and both Python readings must agree."""
    by_sql = found_by_sql(rule)
    assert by_sql == found_by_python(rule), rule
    if not any("not" in str(key) for key in _keys(rule)):
        # explain() gives reasons; a rule made only of "not" may hold without one.
        assert by_sql == found_by_facts(rule), rule
    return by_sql


def _keys(rule):
    if isinstance(rule, dict):
        for key, value in rule.items():
            yield key
            yield from _keys(value)
    elif isinstance(rule, list):
        for part in rule:
            yield from _keys(part)


# --- each condition kind ----------------------------------------------------------------------

CASES = [
    ("nobody", {}, set()),
    ("household tag", {"household_tag": "困难户"}, {"H1"}),
    ("household tag, other", {"household_tag": "低保"}, {"H3"}),
    ("household tag with detail", {"household_tag": "军属", "detail_in": ["现役"]}, {"H3"}),
    ("household tag, detail not held", {"household_tag": "军属", "detail_in": ["退役"]}, set()),
    ("member with tag", {"member": {"tag": "在校学生"}}, {"H1", "H3"}),
    ("member with tag and detail", {"member": {"tag": "在校学生", "detail_in": ["小学"]}}, {"H1"}),
    (
        "member with tag, details among several",
        {"member": {"tag": "在校学生", "detail_in": ["初中", "高中"]}},
        {"H3"},
    ),
    (
        "member with free-text detail",
        {"member": {"tag": "慢性病", "detail_in": ["高血压"]}},
        {"H4"},
    ),
    ("member aged 80 or over", {"member": {"age_min": 80}}, {"H2"}),
    ("79 the day before the 80th birthday", {"member": {"age_min": 79, "age_max": 79}}, {"H2"}),
    ("member aged up to 9", {"member": {"age_max": 9}}, {"H1"}),
    ("member aged 9 exactly", {"member": {"age_min": 9, "age_max": 9}}, {"H1"}),
    ("member female", {"member": {"sex": "female"}}, {"H1", "H2", "H4"}),
    ("member male", {"member": {"sex": "male"}}, {"H1", "H2", "H3", "H5"}),
    ("member by relation", {"member": {"relation_in": ["child"]}}, {"H1", "H3"}),
    ("member relation other", {"member": {"relation_in": ["other", "grandchild"]}}, {"H5"}),
    (
        "all facts on the same person",
        {"member": {"tag": "在校学生", "sex": "male", "relation_in": ["child"]}},
        {"H3"},
    ),
    (
        "facts on different people do not combine",
        {"member": {"tag": "残疾", "sex": "female"}},
        set(),
    ),
    ("head with tag", {"head": {"tag": "残疾"}}, {"H1"}),
    ("head with tag and detail", {"head": {"tag": "残疾", "detail_in": ["一级"]}}, set()),
    ("head by age", {"head": {"age_min": 40, "age_max": 50}}, {"H1", "H3"}),
    ("head by sex", {"head": {"sex": "female"}}, {"H4"}),
    ("head is a member, a member need not be head", {"head": {"tag": "在校学生"}}, set()),
]


@pytest.mark.parametrize(("label", "rule", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_condition_kind(reg, label, rule, expected):
    assert found(rule) == expected


COMBINATIONS = [
    (
        "all: 刘志辉's household",
        {
            "all": [
                {"household_tag": "困难户"},
                {"member": {"tag": "在校学生", "detail_in": ["小学"]}},
                {"head": {"tag": "残疾", "detail_in": ["一级", "二级"]}},
            ]
        },
        {"H1"},
    ),
    (
        "any",
        {"any": [{"household_tag": "困难户"}, {"household_tag": "低保"}]},
        {"H1", "H3"},
    ),
    ("not a household tag", {"not": {"household_tag": "困难户"}}, {"H2", "H3", "H4", "H5"}),
    (
        "not a head fact keeps households without a head",
        {"not": {"head": {"sex": "male"}}},
        {"H4", "H5"},
    ),
    ("not a member fact", {"not": {"member": {"sex": "male"}}}, {"H4"}),
    (
        "all with not",
        {"all": [{"member": {"tag": "在校学生"}}, {"not": {"household_tag": "困难户"}}]},
        {"H3"},
    ),
    (
        "nested any inside all",
        {
            "all": [
                {"any": [{"household_tag": "困难户"}, {"household_tag": "低保"}]},
                {"member": {"age_max": 17}},
            ]
        },
        {"H1", "H3"},
    ),
    ("not not", {"not": {"not": {"household_tag": "低保"}}}, {"H3"}),
    (
        "any of nobody and something",
        {"any": [{"household_tag": "困难户"}, {"member": {"tag": "党员", "age_min": 90}}]},
        {"H1"},
    ),
    ("all of one", {"all": [{"head": {"tag": "80岁以上"}}]}, {"H2"}),
]


@pytest.mark.parametrize(
    ("label", "rule", "expected"), COMBINATIONS, ids=[c[0] for c in COMBINATIONS]
)
def test_combinations(reg, label, rule, expected):
    assert found(rule) == expected


def test_a_tag_no_longer_in_the_vocabulary_finds_nobody(reg):
    assert found_by_sql({"household_tag": "已删除的标签"}) == set()
    assert found_by_sql({"not": {"member": {"tag": "不存在"}}}) == {"H1", "H2", "H3", "H4", "H5"}


def test_age_counts_from_the_scan_date(reg):
    # 李翠兰 turns 80 tomorrow: a scan today does not find her, one tomorrow does.
    rule = {"member": {"age_min": 80, "sex": "female"}}
    q_today = eligibility.to_q(rule, TODAY)
    q_tomorrow = eligibility.to_q(rule, TODAY + dt.timedelta(days=1))
    assert not Household.objects.filter(q_today).exists()
    assert list(Household.objects.filter(q_tomorrow).values_list("number", flat=True)) == ["H2"]


# --- reasons ----------------------------------------------------------------------------------

LIU_RULE = {
    "all": [
        {"household_tag": "困难户"},
        {"member": {"tag": "在校学生", "detail_in": ["小学"]}},
        {"head": {"tag": "残疾", "detail_in": ["一级", "二级"]}},
    ]
}


def _loaded(number):
    return loaded_households().get(number=number)


def test_reasons_name_the_facts_that_made_the_household_eligible(reg):
    liu = _loaded("H1")
    stored = eligibility.reasons(LIU_RULE, liu, liu.members.all(), TODAY)
    assert stored == [
        ["Household: %(tag)s", {"tag": "困难户", "sensitive": True}],
        [
            "Member %(name)s (%(relation)s): %(facts)s",
            {
                "name": "刘欣怡",
                "relation": "child",
                "facts": [{"tag": "在校学生", "detail": "小学", "sensitive": False}],
            },
        ],
        [
            "Head of household %(name)s: %(facts)s",
            {
                "name": "刘志辉",
                "facts": [{"tag": "残疾", "detail": "二级", "sensitive": True}],
            },
        ],
    ]
    assert eligibility.reason_lines(stored, show_sensitive=True) == [
        "Household: 困难户",
        "Member 刘欣怡 (Child): 在校学生 (小学)",
        "Head of household 刘志辉: 残疾 (二级)",
    ]
    # Without reveal the poverty and disability facts leave no trace.
    assert eligibility.reason_lines(stored, show_sensitive=False) == [
        "Member 刘欣怡 (Child): 在校学生 (小学)"
    ]


def test_reasons_of_an_ineligible_household_are_empty(reg):
    plain = _loaded("H4")
    assert eligibility.reasons(LIU_RULE, plain, plain.members.all(), TODAY) == []


def test_reasons_give_age_and_sex_when_the_rule_asks_for_them(reg):
    elder = _loaded("H2")
    rule = {"any": [{"member": {"age_min": 80, "sex": "male"}}, {"household_tag": "困难户"}]}
    stored = eligibility.reasons(rule, elder, elder.members.all(), TODAY)
    assert eligibility.reason_lines(stored, show_sensitive=False) == [
        "Member 张大山 (Head of household): aged 85, Male"
    ]
    headless = _loaded("H5")
    stored = eligibility.reasons(
        {"member": {"relation_in": ["other"]}}, headless, headless.members.all(), TODAY
    )
    assert eligibility.reason_lines(stored, show_sensitive=True) == ["Member 赵六 (Other)"]
    student = _loaded("H3")
    stored = eligibility.reasons(
        {"not": {"household_tag": "困难户"}}, student, student.members.all(), TODAY
    )
    assert eligibility.reason_lines(stored, show_sensitive=True) == ["Household is not 困难户"]


def test_reason_lines_survive_malformed_entries():
    lines = eligibility.reason_lines(
        [["Household: %(tag)s", {"tag": "低保"}], "junk", [1], ["%(missing)s", {}]],
        show_sensitive=True,
    )
    assert lines == ["Household: 低保"]


# --- validate ---------------------------------------------------------------------------------

BAD_RULES = [
    ("not an object", ["困难户"], "A condition must be an object"),
    ("unknown key", {"houshold_tag": "困难户"}, "Unknown condition “houshold_tag”"),
    ("unknown household tag", {"household_tag": "富裕户"}, "There is no household tag “富裕户”."),
    ("a personal tag as household tag", {"household_tag": "残疾"}, "no household tag “残疾”"),
    ("unknown personal tag", {"member": {"tag": "学生"}}, "There is no personal tag “学生”."),
    (
        "detail not among the choices",
        {"head": {"tag": "残疾", "detail_in": ["五级"]}},
        "Tag “残疾” has no detail “五级”; it has: 一级, 二级, 三级, 四级.",
    ),
    (
        "details of a tag without details",
        {"household_tag": "困难户", "detail_in": ["一级"]},
        "Tag “困难户” has no details to choose from.",
    ),
    ("empty detail list", {"member": {"tag": "残疾", "detail_in": []}}, "“detail_in” needs a list"),
    (
        "detail without tag",
        {"member": {"detail_in": ["一级"], "age_min": 3}},
        "needs a household tag",
    ),
    (
        "detail beside a member",
        {"member": {"age_min": 3}, "detail_in": ["x"]},
        "needs a household tag",
    ),
    ("ages the wrong way round", {"member": {"age_min": 80, "age_max": 60}}, "The lowest age (80)"),
    ("age not a number", {"member": {"age_min": "80"}}, "An age is a whole number"),
    ("age a boolean", {"member": {"age_max": True}}, "An age is a whole number"),
    ("age too high", {"member": {"age_min": 200}}, "An age is a whole number"),
    ("sex", {"head": {"sex": "男"}}, "Sex is “female” or “male”, not “男”."),
    ("relation", {"member": {"relation_in": ["son"]}}, "Unknown relation to the head “son”"),
    ("relation not a list", {"member": {"relation_in": "child"}}, "“relation_in” needs a list"),
    ("unknown person key", {"member": {"age": 80}}, "Unknown fact about a person “age”"),
    ("empty person", {"member": {}}, "Say who the person is"),
    ("empty all", {"all": []}, "“all” needs a list of at least one condition."),
    ("any not a list", {"any": {"household_tag": "低保"}}, "“any” needs a list"),
    (
        "two kinds in one object",
        {"household_tag": "低保", "member": {"age_min": 1}},
        "One condition per object",
    ),
    (
        "empty inside a combination",
        {"all": [{}]},
        "Condition 1: An empty condition is allowed only",
    ),
    ("empty not", {"not": {}}, "An empty condition is allowed only"),
]


@pytest.mark.parametrize(("label", "rule", "message"), BAD_RULES, ids=[c[0] for c in BAD_RULES])
def test_validate_explains_what_is_wrong(reg, label, rule, message):
    problems = eligibility.validate(rule)
    assert any(message in p for p in problems), problems


def test_validate_says_which_condition(reg):
    problems = eligibility.validate(
        {"all": [{"household_tag": "困难户"}, {"any": [{"member": {"tag": "x"}}]}]}
    )
    assert problems == ["Condition 2.1: There is no personal tag “x”."]


def test_validate_reports_every_problem(reg):
    problems = eligibility.validate(
        {"any": [{"household_tag": "x"}, {"head": {"sex": "y", "age_min": 9, "age_max": 1}}]}
    )
    assert len(problems) == 3


def test_validate_refuses_a_rule_nested_too_deeply(reg):
    rule = {"household_tag": "困难户"}
    for _ in range(eligibility.MAX_DEPTH + 2):
        rule = {"not": rule}
    assert any("nested too deeply" in p for p in eligibility.validate(rule))


@pytest.mark.parametrize(
    "rule", [{}, LIU_RULE] + [c[1] for c in CASES[1:]] + [c[1] for c in COMBINATIONS]
)
def test_good_rules_pass(reg, rule):
    assert eligibility.validate(rule) == []


def test_validate_in_chinese(reg):
    from django.utils import translation

    with translation.override("zh-hans"):
        problems = eligibility.validate({"household_tag": "富裕户"})
    assert len(problems) == 1 and "富裕户" in problems[0]


# --- describe ---------------------------------------------------------------------------------


def test_describe_reads_the_rule_out():
    assert eligibility.describe({}) == "Nobody is sought out."
    assert eligibility.describe(LIU_RULE) == (
        "Sought out when the household is 困难户 and a member is tagged 在校学生 (小学) "
        "and the head of household is tagged 残疾 (一级, 二级)."
    )
    assert eligibility.describe(
        {
            "any": [
                {"member": {"age_min": 80}},
                {
                    "all": [
                        {"member": {"age_max": 17, "sex": "female", "relation_in": ["child"]}},
                        {"not": {"household_tag": "低保"}},
                    ]
                },
            ]
        }
    ) == (
        "Sought out when a member is aged 80 or over or (a member is aged 17 or under, Female, "
        "who is the head's Child and not: the household is 低保)."
    )
    assert eligibility.describe({"head": {"age_min": 60, "age_max": 70}}) == (
        "Sought out when the head of household is aged 60 to 70."
    )


def test_describe_a_malformed_rule_says_so():
    assert "cannot be read" in eligibility.describe({"all": "x"})
    assert "cannot be read" in eligibility.describe(["x"])
