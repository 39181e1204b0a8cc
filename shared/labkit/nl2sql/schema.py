"""The database described for a prompt, read from the DuckDB file itself.

Used by the NL->SQL lesson and lab (issue 18): prompt-only puts the whole description in its system prompt,
RAG and the hybrid put only the tables they retrieve (`Schema.parts()` has one part per table).

Everything comes from the file: tables and their comments (`duckdb_tables()`), columns, types, NOT NULL and
comments (`duckdb_columns()`), primary keys, UNIQUE and foreign keys (`duckdb_constraints()`), the row
count, and a few example values per column queried from the data. A column with at most `MAX_LISTED`
distinct values lists them all, most frequent first ("values: ...", left out when the column's comment
already quotes every one); a text column with more shows a few ("e.g. ...", in id order), a number column
its range.
Dates and timestamps get no examples: they move with the day the file was built (see
`labkit.data.acme_db`), and the description should be the same text on every day, so prompts (and the
local model's answers) reproduce.

The text of a table is a CREATE TABLE statement with `--` comments, a form code models have read often;
`tests/test_nl2sql_schema.py` runs it in DuckDB to check it declares exactly the database's columns.

    schema = describe(sql_db_path())
    print(schema.text())            # all tables, for a prompt
    schema.parts()["orders"]        # one table, for retrieval
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from labkit import sqlcheck

MAX_LISTED = 12   # list every distinct value up to this many (the 12 countries)
N_EXAMPLES = 3    # otherwise show this many examples
NO_EXAMPLES = ("DATE", "TIME", "TIMESTAMP", "BOOLEAN", "INTERVAL")  # type prefixes that get no examples


@dataclass(frozen=True)
class Column:
    """One column as the prompt shows it."""

    name: str
    type: str
    nullable: bool
    primary_key: bool = False
    unique: bool = False
    references: str | None = None       # "users (id)"
    comment: str | None = None
    values: tuple[str, ...] = ()        # every distinct value (few of them), as SQL literals
    examples: tuple[str, ...] = ()      # a few values, when there are many
    value_range: tuple[str, str] | None = None  # (min, max) of a number column with many values

    def note(self) -> str:
        """The `--` comment of the column: its own comment, then its values, examples or range."""
        parts = [self.comment] if self.comment else []
        if self.values and not all(v in (self.comment or "") for v in self.values):
            parts.append("values: " + ", ".join(self.values))
        elif self.examples:
            parts.append("e.g. " + ", ".join(self.examples))
        elif self.value_range:
            parts.append(f"from {self.value_range[0]} to {self.value_range[1]}")
        return "; ".join(parts)

    def ddl(self) -> str:
        """The column's line of a CREATE TABLE statement, without comment."""
        words = [self.name, self.type]
        if self.primary_key:
            words.append("PRIMARY KEY")
        elif not self.nullable:
            words.append("NOT NULL")
        if self.unique and not self.primary_key:
            words.append("UNIQUE")
        if self.references:
            words.append(f"REFERENCES {self.references}")
        return " ".join(words)


@dataclass(frozen=True)
class Table:
    """One table: its comment, row count and columns."""

    name: str
    rows: int
    columns: tuple[Column, ...]
    comment: str | None = None

    def ddl(self) -> str:
        """The table as a CREATE TABLE statement with a `--` comment on each column that has one."""
        head = f"-- {self.name}: {self.comment + ', ' if self.comment else ''}{self.rows:,} rows"
        lines = [head, f"CREATE TABLE {self.name} ("]
        for i, column in enumerate(self.columns):
            line = "    " + column.ddl() + ("," if i < len(self.columns) - 1 else "")
            note = column.note()
            lines.append(f"{line}  -- {note}" if note else line)
        return "\n".join([*lines, ");"])

    def summary(self) -> str:
        """A short plain-text description, for embedding (retrieval matches questions against it)."""
        columns = ", ".join(c.name.replace("_", " ") + (f" ({c.note()})" if c.note() else "") for c in self.columns
                            if not c.primary_key)
        return f"Table {self.name}: {self.comment or ''}. Columns: {columns}."


@dataclass(frozen=True)
class Schema:
    """The database: its tables in creation order."""

    tables: tuple[Table, ...]

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.tables]

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"no table {name!r} in the schema; tables: {', '.join(self.names)}")

    def parts(self) -> dict[str, str]:
        """{table name: its CREATE TABLE text}, in schema order: the units retrieval chooses from."""
        return {t.name: t.ddl() for t in self.tables}

    def text(self, tables: Iterable[str] | None = None) -> str:
        """The CREATE TABLE texts of `tables` (default: all), always in schema order, blank-line separated."""
        wanted = set(self.names if tables is None else tables)
        unknown = wanted - set(self.names)
        if unknown:
            raise KeyError(f"no table {', '.join(sorted(unknown))} in the schema; tables: {', '.join(self.names)}")
        return "\n\n".join(t.ddl() for t in self.tables if t.name in wanted)


def _literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return f"{value}"


def _column(con, table: str, name: str, type_: str, nullable: bool, comment: str | None,
            keys: dict[str, set[str]], refs: dict[str, str]) -> Column:
    column = Column(name=name, type=type_, nullable=nullable, primary_key=name in keys["PRIMARY KEY"],
                    unique=name in keys["UNIQUE"], references=refs.get(name), comment=comment or None)
    if column.primary_key or column.references or type_.upper().startswith(NO_EXAMPLES):
        return column
    q = f'"{name}"'
    distinct = con.execute(f"SELECT COUNT(DISTINCT {q}) FROM {table}").fetchone()[0]
    if distinct <= MAX_LISTED:
        rows = con.execute(f"SELECT {q} FROM {table} WHERE {q} IS NOT NULL GROUP BY {q} "
                           f"ORDER BY COUNT(*) DESC, {q}").fetchall()
        return Column(**{**column.__dict__, "values": tuple(_literal(v) for (v,) in rows)})
    if type_.upper().startswith(("VARCHAR", "TEXT")):
        rows = con.execute(f"SELECT {q} FROM {table} WHERE {q} IS NOT NULL ORDER BY id LIMIT {N_EXAMPLES}").fetchall()
        return Column(**{**column.__dict__, "examples": tuple(_literal(v) for (v,) in rows)})
    low, high = con.execute(f"SELECT MIN({q}), MAX({q}) FROM {table}").fetchone()
    return Column(**{**column.__dict__, "value_range": (_literal(low), _literal(high))})


def describe(db_path: str | Path | None = None) -> Schema:
    """Read the schema of the DuckDB file at `db_path` (default: `labkit.data.sql_db_path()`), read-only."""
    if db_path is None:
        from labkit.data import sql_db_path

        db_path = sql_db_path()
    con = sqlcheck.connect(db_path)
    try:
        tables = []
        for table, comment in con.execute("SELECT table_name, comment FROM duckdb_tables() "
                                          "WHERE schema_name = 'main' ORDER BY table_oid").fetchall():
            keys: dict[str, set[str]] = {"PRIMARY KEY": set(), "UNIQUE": set()}
            refs: dict[str, str] = {}
            for kind, names, ref_table, ref_names in con.execute(
                    "SELECT constraint_type, constraint_column_names, referenced_table, referenced_column_names "
                    "FROM duckdb_constraints() WHERE table_name = ? AND schema_name = 'main'", [table]).fetchall():
                if kind in keys and len(names) == 1:
                    keys[kind].add(names[0])
                elif kind == "FOREIGN KEY" and len(names) == 1:
                    refs[names[0]] = f"{ref_table} ({', '.join(ref_names)})"
            columns = [_column(con, table, name, type_, nullable, col_comment, keys, refs)
                       for name, type_, nullable, col_comment in con.execute(
                           "SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns() "
                           "WHERE table_name = ? AND schema_name = 'main' ORDER BY column_index", [table]).fetchall()]
            count = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            assert count is not None  # COUNT(*) returns one row
            tables.append(Table(table, count[0], tuple(columns), comment or None))
        return Schema(tuple(tables))
    finally:
        con.close()
