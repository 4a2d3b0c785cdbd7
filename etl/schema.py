"""Warehouse DDL: English table and column names, the ledgers' own values as data."""

from __future__ import annotations

# Fact tables have a key column (marked "-- key", listed in KEYS) that the
# loader keeps unique: it deletes the rows a file replaces and inserts the new
# ones inside the file's transaction. They carry no PRIMARY KEY index because
# maintaining DuckDB's ART index costs about 0.6 s per million loaded rows and
# nothing reads through it; tests/test_loader.py checks the keys stay unique.
KEYS: dict[str, tuple[str, ...]] = {
    "communities": ("name",),
    "compounds": ("community", "name"),
    "activities": ("activity_id",),
    "cases": ("case_id",),
    "volunteers": ("volunteer_id",),
    "volunteer_hours": ("row_key",),
    "redemptions": ("row_key",),
}

TABLES: dict[str, str] = {
    "communities": """
        CREATE TABLE IF NOT EXISTS communities (
            name VARCHAR PRIMARY KEY,
            street VARCHAR NOT NULL,
            households INTEGER NOT NULL,
            founded INTEGER,
            batch_id VARCHAR
        )""",
    "compounds": """
        CREATE TABLE IF NOT EXISTS compounds (
            community VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            households INTEGER NOT NULL,
            batch_id VARCHAR,
            PRIMARY KEY (community, name)
        )""",
    "activities": """
        CREATE TABLE IF NOT EXISTS activities (
            activity_id VARCHAR NOT NULL,  -- key
            date DATE NOT NULL,
            community VARCHAR NOT NULL,
            compound VARCHAR,
            pillar VARCHAR NOT NULL,
            activity_type VARCHAR NOT NULL,
            title VARCHAR,
            partner VARCHAR,
            participants INTEGER NOT NULL,
            services INTEGER,
            volunteers INTEGER,
            households_visited INTEGER,
            note VARCHAR,
            batch_id VARCHAR
        )""",
    "cases": """
        CREATE TABLE IF NOT EXISTS cases (
            case_id VARCHAR NOT NULL,  -- key
            kind VARCHAR NOT NULL,
            category VARCHAR NOT NULL,
            source VARCHAR,
            community VARCHAR NOT NULL,
            compound VARCHAR,
            opened_on DATE NOT NULL,
            closed_on DATE,
            status VARCHAR NOT NULL,
            outcome VARCHAR,
            satisfaction INTEGER,
            summary VARCHAR,
            batch_id VARCHAR
        )""",
    "volunteers": """
        CREATE TABLE IF NOT EXISTS volunteers (
            -- key; stored uncompressed: every id is distinct, so compression saves little, and each load looks
            -- its volunteers up here several times (a lookup among 124,000 ids: 1.2 → 0.7 ms)
            volunteer_id VARCHAR NOT NULL USING COMPRESSION uncompressed,
            community VARCHAR NOT NULL,
            joined_on DATE,
            party_member BOOLEAN,
            team VARCHAR,
            batch_id VARCHAR
        )""",
    "volunteer_hours": """
        CREATE TABLE IF NOT EXISTS volunteer_hours (
            row_key VARCHAR NOT NULL,  -- key
            volunteer_id VARCHAR NOT NULL,
            date DATE NOT NULL,
            hours DOUBLE NOT NULL,
            points DOUBLE,
            activity_id VARCHAR,
            service VARCHAR,
            batch_id VARCHAR
        )""",
    "redemptions": """
        CREATE TABLE IF NOT EXISTS redemptions (
            row_key VARCHAR NOT NULL,  -- key
            volunteer_id VARCHAR NOT NULL,
            date DATE NOT NULL,
            points DOUBLE NOT NULL,
            item VARCHAR,
            batch_id VARCHAR
        )""",
    "load_batches": """
        CREATE TABLE IF NOT EXISTS load_batches (
            batch_id VARCHAR PRIMARY KEY,
            file_name VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            kind VARCHAR,
            loaded_at TIMESTAMP NOT NULL,
            rows_read BIGINT NOT NULL,
            rows_loaded BIGINT NOT NULL,
            rows_rejected BIGINT NOT NULL,
            status VARCHAR NOT NULL,
            message VARCHAR,
            sheet VARCHAR,  -- the workbook sheet (NULL for CSV): one batch per sheet
            -- load history (docs/data-contract.md, 导入记录与撤回): who loaded it ('cli:<os user>' from the
            -- command line, the account name from the UI), the mapping profile (NULL for contract-form files),
            -- the meta data_version this load produced, rows it replaced, the communities its rows touched,
            -- and for a withdrawal (kind 'withdrawal') the batch it withdrew and the rows it removed
            loaded_by VARCHAR,
            profile VARCHAR,
            data_version VARCHAR,
            rows_updated BIGINT,
            communities VARCHAR[],
            withdraws VARCHAR,
            rows_removed BIGINT
        )""",
    "rejects": """
        CREATE TABLE IF NOT EXISTS rejects (
            batch_id VARCHAR NOT NULL,
            file_name VARCHAR NOT NULL,
            sheet VARCHAR,
            row_number BIGINT,
            column_name VARCHAR,
            value VARCHAR,
            reason VARCHAR NOT NULL
        )""",
    # Key/value facts about the warehouse as a whole: data_version (changes on
    # every successful load), last_load_at (naive UTC), dataset ('demo' when built by
    # `python -m etl demo`; 'mixed' once real ledgers were loaded into a demo warehouse).
    "meta": """
        CREATE TABLE IF NOT EXISTS meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR
        )""",
}

FACT_TABLES = ("activities", "cases", "volunteers", "volunteer_hours", "redemptions")
REFERENCE_TABLES = ("communities", "compounds")

# Each dated fact table's date: the column every period filter reads. The loader writes each batch's rows in
# this order (so that a table's row groups cover short spans and DuckDB's zone maps skip the others: a month's
# redemptions at district scale, 3 row groups read of 15 instead of 9 when the ledger lists community by
# community; the other tables are written in key order), and the lake partitions these tables by its year
# (etl/lake.py). The roster has none: `joined_on` is optional and says nothing about when a roster row applies.
DATE_COLUMNS: dict[str, str] = {
    "activities": "date",
    "cases": "opened_on",
    "volunteer_hours": "date",
    "redemptions": "date",
}


# Columns added after warehouses were first built: created on older warehouses by create_all.
MIGRATIONS = (
    "ALTER TABLE load_batches ADD COLUMN IF NOT EXISTS sheet VARCHAR",
    "ALTER TABLE load_batches ADD COLUMN IF NOT EXISTS loaded_by VARCHAR",
    "ALTER TABLE load_batches ADD COLUMN IF NOT EXISTS profile VARCHAR",
    "ALTER TABLE load_batches ADD COLUMN IF NOT EXISTS data_version VARCHAR",
    "ALTER TABLE load_batches ADD COLUMN IF NOT EXISTS rows_updated BIGINT",
    "ALTER TABLE load_batches ADD COLUMN IF NOT EXISTS communities VARCHAR[]",
    "ALTER TABLE load_batches ADD COLUMN IF NOT EXISTS withdraws VARCHAR",
    "ALTER TABLE load_batches ADD COLUMN IF NOT EXISTS rows_removed BIGINT",
)

# Row history (etl/history.py): `<table>_history` holds, for each data table and for `rejects`, the row versions a
# batch took out of the table, with `replaced_by` (the batch that took it out) and `restored_by` (the withdrawal
# that put it back; NULL while it is out). Same columns as the table, without its constraints.
HISTORY_TABLES: dict[str, str] = {t: f"{t}_history" for t in (*REFERENCE_TABLES, *FACT_TABLES, "rejects")}


# Summary tables (etl/summaries.py maintains them at each load and withdrawal; the KPIs read them for
# month-aligned periods). Exact aggregates per month: see etl/summaries.py for what each row holds.
SUMMARY_DDL: dict[str, str] = {
    "summary_volunteer_month": """
        CREATE TABLE IF NOT EXISTS summary_volunteer_month (
            volunteer_id VARCHAR NOT NULL,
            community VARCHAR NOT NULL,
            month DATE NOT NULL,
            joined_on DATE,
            party BOOLEAN NOT NULL,
            hours DOUBLE,
            points DOUBLE,
            active BOOLEAN NOT NULL,
            records BIGINT NOT NULL
        )""",
    "summary_volunteer_first": """
        CREATE TABLE IF NOT EXISTS summary_volunteer_first (
            volunteer_id VARCHAR NOT NULL,
            community VARCHAR NOT NULL,
            first_month DATE NOT NULL
        )""",
    "summary_community_active": """
        CREATE TABLE IF NOT EXISTS summary_community_active (
            community VARCHAR NOT NULL,
            grain VARCHAR NOT NULL,
            start DATE NOT NULL,
            active BIGINT NOT NULL,
            active_registered BIGINT NOT NULL,
            active_party BIGINT NOT NULL,
            retained BIGINT NOT NULL
        )""",
    "summary_team_span": """
        CREATE TABLE IF NOT EXISTS summary_team_span (
            community VARCHAR NOT NULL,
            grain VARCHAR NOT NULL,
            start DATE NOT NULL,
            team VARCHAR,
            all_services BOOLEAN NOT NULL,
            service VARCHAR,
            records BIGINT NOT NULL,
            volunteers BIGINT NOT NULL,
            active BIGINT NOT NULL,
            party_active BIGINT NOT NULL,
            hours DOUBLE,
            points DOUBLE
        )""",
    "summary_community_month": """
        CREATE TABLE IF NOT EXISTS summary_community_month (
            community VARCHAR NOT NULL,
            month DATE NOT NULL,
            hours DOUBLE,
            points DOUBLE,
            redeemed DOUBLE
        )""",
    "summary_hours_link": """
        CREATE TABLE IF NOT EXISTS summary_hours_link (
            activity_id VARCHAR NOT NULL,
            month DATE NOT NULL,
            records BIGINT NOT NULL
        )""",
}
SUMMARY_TABLES = tuple(SUMMARY_DDL)


def create_all(con) -> None:  # con: duckdb.DuckDBPyConnection
    for ddl in TABLES.values():
        con.execute(ddl)
    for ddl in SUMMARY_DDL.values():
        con.execute(ddl)
    for ddl in MIGRATIONS:
        con.execute(ddl)
    for table, history in HISTORY_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {history} AS SELECT *, NULL::VARCHAR AS replaced_by, "
                    f"NULL::VARCHAR AS restored_by FROM {table} LIMIT 0")
