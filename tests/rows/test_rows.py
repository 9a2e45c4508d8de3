"""Row generation from a table's schema, without a server: determinism, keys, owners, FKs, CHECKs, uniqueness."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fallback.project.checks import parse_checks
from fallback.project.keys import KeyPlan, int_block, int_random_range, seed_id
from fallback.project.rows import RowContext, RowsError, free_text_column, generate_rows, row_strategy, rows_strategy
from fallback.project.schema import Column, ForeignKey, TableSchema


def col(name: str, base: str, **facts: object) -> Column:
    values: dict[str, object] = {"type": base, "base_type": base, "nullable": False, "has_default": False, **facts}
    return Column(name=name, **values)  # type: ignore[arg-type]


ORDERS = TableSchema(
    schema_name="public",
    name="orders",
    columns=(
        col("id", "int8", has_default=True),
        col("org_id", "uuid"),
        col("user_id", "uuid"),
        col("code", "varchar", max_length=6, unique=True),
        col("qty", "int4", checks=("CHECK ((qty > 0))",)),
        col("score", "int2", checks=("CHECK (((score >= 1) AND (score <= 5)))",)),
        col("kind", "text", checks=("CHECK ((kind = ANY (ARRAY['a'::text, 'b'::text])))",)),
        col(
            "amount",
            "numeric",
            type="numeric(6,2)",
            numeric_precision=6,
            numeric_scale=2,
            checks=("CHECK ((amount >= (0)::numeric))",),
        ),
        col("note", "text", nullable=True, checks=("CHECK ((length(note) <= 5))",)),
        col("state", "order_state", enum_values=("new", "paid")),
        col("tags", "text", type="text[]", is_array=True, nullable=True),
        col("total", "numeric", generated=True),
        col("created_at", "timestamptz", has_default=True),
    ),
    primary_key=("id",),
    foreign_keys=(
        ForeignKey(name="orders_org", columns=("org_id",), ref_schema="public", ref_table="orgs", ref_columns=("id",)),
    ),
    rls=True,
    owner_column="user_id",
)
ORGS = tuple((str(uuid.UUID(int=i)),) for i in range(1, 4))
CONTEXT = RowContext(user_id="00000000-0000-4000-8000-000000000001", parents={"orders_org": ORGS})


def test_deterministic_under_the_seed() -> None:
    first = generate_rows(ORDERS, 200, seed=7, context=CONTEXT)
    assert first == generate_rows(ORDERS, 200, seed=7, context=CONTEXT)
    assert first != generate_rows(ORDERS, 200, seed=8, context=CONTEXT)


def test_every_rule_holds_on_many_rows() -> None:
    rows = generate_rows(ORDERS, 2000, seed=1, context=CONTEXT)
    low, high = int_random_range("int8")
    assert len({r["id"] for r in rows}) == len(rows) and all(low <= r["id"] <= high for r in rows)  # type: ignore[operator]
    assert len({r["code"] for r in rows}) == len(rows) and all(len(r["code"]) <= 6 for r in rows)  # type: ignore[arg-type]
    assert {r["user_id"] for r in rows} == {CONTEXT.user_id}
    assert {r["org_id"] for r in rows} == {key for (key,) in ORGS}
    assert all(r["qty"] > 0 and 1 <= r["score"] <= 5 for r in rows)  # type: ignore[operator]
    assert {r["kind"] for r in rows} == {"a", "b"} and {r["state"] for r in rows} == {"new", "paid"}
    assert all(Decimal("0") <= Decimal(str(r["amount"])) <= Decimal("9999.99") for r in rows)
    assert all(r["note"] is None or len(r["note"]) <= 5 for r in rows)  # type: ignore[arg-type]
    assert any(r["note"] is None for r in rows) and any(r["note"] for r in rows)
    assert all("total" not in r for r in rows)
    assert any("created_at" in r for r in rows) and any("created_at" not in r for r in rows)  # defaults exercised


def test_seed_keys_are_stable_and_disjoint_per_source() -> None:
    table = ORDERS.model_copy(update={"columns": (col("id", "uuid"), *ORDERS.columns[1:]), "owner_column": None})
    rows = generate_rows(table, 3, seed=1, context=RowContext(parents=CONTEXT.parents, keys=KeyPlan("BOLT", 1)))
    assert [r["id"] for r in rows] == [str(seed_id("BOLT", "orders", i)) for i in range(3)]
    ints = generate_rows(ORDERS, 3, seed=1, context=RowContext(parents=CONTEXT.parents, keys=KeyPlan("OLD", 2)))
    assert [r["id"] for r in ints] == [int_block("int8", 2)[0] + i for i in range(3)]
    assert int_block("int8", 2)[1] < int_block("int8", 3)[0] and int_block("int8", 7)[1] < int_random_range("int8")[0]


def test_owner_from_seeded_users_round_robin() -> None:
    users = ("u0", "u1", "u2")
    rows = generate_rows(ORDERS, 7, seed=1, context=RowContext(users=users, parents=CONTEXT.parents))
    assert [r["user_id"] for r in rows] == [users[i % 3] for i in range(7)]


def test_tenant_column_takes_the_tenant() -> None:
    table = ORDERS.model_copy(update={"tenant_column": "org_id"})
    rows = generate_rows(table, 20, seed=1, context=RowContext(tenant=ORGS[1][0], parents=CONTEXT.parents))
    assert {r["org_id"] for r in rows} == {ORGS[1][0]}


def test_not_null_foreign_key_without_parents_is_an_error() -> None:
    with pytest.raises(RowsError, match=r"orders\.org_id references orgs, which has no rows"):
        generate_rows(ORDERS, 1, seed=1, context=RowContext())


def test_composite_key_of_foreign_keys_stays_unique_or_says_why() -> None:
    members = TableSchema(
        schema_name="public",
        name="members",
        columns=(col("org_id", "uuid"), col("user_id", "uuid")),
        primary_key=("org_id", "user_id"),
        foreign_keys=(
            ForeignKey(name="m_org", columns=("org_id",), ref_schema="public", ref_table="orgs", ref_columns=("id",)),
        ),
        owner_column="user_id",
    )
    context = RowContext(users=("u0", "u1"), parents={"m_org": ORGS})
    rows = generate_rows(members, 6, seed=3, context=context)
    assert len({(r["org_id"], r["user_id"]) for r in rows}) == 6
    with pytest.raises(RowsError, match="distinct values of primary key"):
        generate_rows(members, 7, seed=3, context=context)  # 3 orgs x 2 users


def test_unknown_type_left_out_when_it_may_be_else_an_error() -> None:
    table = ORDERS.model_copy(update={"columns": (*ORDERS.columns, col("shape", "geometry", nullable=True))})
    assert all("shape" not in r for r in generate_rows(table, 5, seed=1, context=CONTEXT))
    table = ORDERS.model_copy(update={"columns": (*ORDERS.columns, col("shape", "geometry", type="geometry"))})
    with pytest.raises(RowsError, match=r"orders\.shape: cannot generate values of type geometry"):
        generate_rows(table, 1, seed=1, context=CONTEXT)


def test_free_text_column_is_where_a_marker_fits() -> None:
    assert free_text_column(ORDERS) is None  # code is short, kind/note are checked, tags an array
    table = ORDERS.model_copy(update={"columns": (*ORDERS.columns, col("memo", "text", nullable=True))})
    assert free_text_column(table) == "memo"


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ("CHECK ((qty > 0))", {"low": Decimal(0), "low_open": True}),
        ("CHECK ((amount >= (0)::numeric))", {"low": Decimal(0), "low_open": False}),
        ("CHECK (((x >= 1) AND (x <= 5)))", {"low": Decimal(1), "high": Decimal(5)}),
        ("CHECK ((0 < x))", {"low": Decimal(0), "low_open": True}),
        ("CHECK ((length(x) <= 80))", {"max_length": 80}),
        ("CHECK ((char_length(x) > 0))", {"min_length": 1}),
        ("CHECK (((x)::text <> ''::text))", {"min_length": 1}),
        ("CHECK ((x = ANY (ARRAY['a b'::text, 'it''s'::text])))", {"choices": ("a b", "it's")}),
        (
            "CHECK (((x)::text = ANY ((ARRAY['p'::character varying, 'q'::character varying])::text[])))",
            {"choices": ("p", "q")},
        ),
        ("CHECK ((x IS NOT NULL))", {"not_null": True}),
    ],
)
def test_simple_checks_are_understood(definition: str, expected: dict[str, object]) -> None:
    bounds = parse_checks("x" if "x" in definition else definition.split("((")[1].split(" ")[0], (definition,))
    assert bounds.unsupported == ()
    assert {name: getattr(bounds, name) for name in expected} == expected


@pytest.mark.parametrize(
    "definition",
    ["CHECK ((x ~~ '%@%'::text))", "CHECK (((x > 0) OR (x < -10)))", "CHECK ((x > y))", "CHECK ((lower(x) = x))"],
)
def test_other_checks_are_reported_unsupported(definition: str) -> None:
    assert parse_checks("x", (definition,)).unsupported == (definition,)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_strategy_rows_follow_the_same_rules(data: st.DataObject) -> None:
    row = data.draw(row_strategy(ORDERS, CONTEXT))
    assert row["user_id"] == CONTEXT.user_id and (row["org_id"],) in ORGS and "total" not in row
    assert row["qty"] > 0 and 1 <= row["score"] <= 5 and row["kind"] in ("a", "b")  # type: ignore[operator]
    batch = data.draw(rows_strategy(ORDERS, CONTEXT, max_size=10))
    assert len({r["id"] for r in batch}) == len(batch) and len({r["code"] for r in batch}) == len(batch)


def test_a_tenant_column_that_is_the_key_keeps_the_harness_key() -> None:
    orgs = TableSchema(
        schema_name="public",
        name="orgs",
        columns=(col("id", "uuid"), col("name", "text")),
        primary_key=("id",),
        tenant_column="id",
    )
    rows = generate_rows(orgs, 5, seed=1, context=RowContext(tenant="00000000-0000-4000-8000-000000000009"))
    assert len({r["id"] for r in rows}) == 5 and "00000000-0000-4000-8000-000000000009" not in {r["id"] for r in rows}


def test_without_strict_parents_a_missing_parent_leaves_the_key_out() -> None:
    rows = generate_rows(ORDERS, 3, seed=1, context=RowContext(strict_parents=False))
    assert all("org_id" not in r for r in rows) and all(r["qty"] > 0 for r in rows)  # type: ignore[operator]
