"""The schema description (labkit.nl2sql.schema), read from a real AcmeCorp DuckDB file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from labkit import sqlcheck
from labkit.data import acme_db
from labkit.nl2sql.schema import describe

TABLES = ["plans", "users", "subscriptions", "orders", "invoices", "tickets"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return acme_db.build(tmp_path_factory.mktemp("schema") / "acme.duckdb")


@pytest.fixture(scope="module")
def schema(db: Path):
    return describe(db)


def columns_of(path_or_con, table: str) -> list[tuple[str, str]]:
    con = sqlcheck.connect(path_or_con) if isinstance(path_or_con, Path) else path_or_con
    try:
        return [(name, type_) for name, type_, *_ in con.execute(f"DESCRIBE {table}").fetchall()]
    finally:
        if isinstance(path_or_con, Path):
            con.close()


def test_tables_columns_types_and_rows_come_from_the_file(schema, db: Path) -> None:
    assert sorted(schema.names) == sorted(TABLES)
    for table in schema.tables:
        assert [(c.name, c.type) for c in table.columns] == columns_of(db, table.name)
    assert {t.name: t.rows for t in schema.tables}["users"] == 300
    assert schema.table("orders").rows == 600


def test_keys_are_read_from_the_constraints(schema) -> None:
    users, invoices = schema.table("users"), schema.table("invoices")
    assert [c.name for c in users.columns if c.primary_key] == ["id"]
    assert {c.name: c.unique for c in users.columns}["email"] is True
    refs = {c.name: c.references for c in invoices.columns if c.references}
    assert refs == {"user_id": "users (id)", "order_id": "orders (id)", "subscription_id": "subscriptions (id)"}
    assert {c.name: c.references for c in users.columns}["plan"] == "plans (name)"
    assert {c.name: c.nullable for c in invoices.columns} == {
        "id": False, "user_id": False, "order_id": True, "subscription_id": True, "issued_at": False,
        "due_at": False, "amount": False, "paid": False, "paid_at": True}


def test_comments_and_example_values(schema) -> None:
    users = schema.parts()["users"]
    assert "-- users: one row per customer" in users and "300 rows" in users
    for country in acme_db.COUNTRY_COUNTS:  # 12 distinct values: all listed, though the comment names one
        assert f"'{country}'" in users
    assert users.index("'United States'") < users.index("'Sweden'")  # most frequent first
    orders = schema.parts()["orders"]
    assert "'Storage add-on'" in orders and "total_amount DECIMAL(10,2) NOT NULL" in orders
    assert "from 5.00 to" in orders                      # a number column with many values: its range
    assert "e.g. '" in users                             # names: a few examples
    tickets = schema.table("tickets")
    created = next(c for c in tickets.columns if c.name == "created_at")
    assert not (created.values or created.examples or created.value_range)  # dates move with the build day


def test_text_is_valid_ddl_for_the_same_columns(schema, db: Path) -> None:
    con = duckdb.connect(":memory:")
    try:
        con.execute(schema.text())
        for table in TABLES:
            assert columns_of(con, table) == columns_of(db, table)
    finally:
        con.close()


def test_text_does_not_change_with_the_build_day(tmp_path: Path, schema) -> None:
    other = acme_db.build(tmp_path / "2025.duckdb", anchor=date(2025, 1, 1))
    assert describe(other).text() == schema.text()


def test_parts_split_the_text_per_table(schema) -> None:
    parts = schema.parts()
    assert list(parts) == schema.names
    assert schema.text() == "\n\n".join(parts.values())
    assert schema.text(["users", "orders"]) == schema.text(["orders", "users"])  # always in schema order
    assert schema.text(["orders"]) == parts["orders"] and "CREATE TABLE users" not in parts["orders"]
    assert all(t.summary().startswith(f"Table {t.name}:") for t in schema.tables)


def test_unknown_table_is_a_clear_error(schema) -> None:
    with pytest.raises(KeyError, match="customers.*tables: plans"):
        schema.text(["customers"])
    with pytest.raises(KeyError, match="customers"):
        schema.table("customers")
