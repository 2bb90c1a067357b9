"""The audit trail is append-only in the database too (audit/models.py says
what is enforced where): PostgreSQL refuses every UPDATE and DELETE of a row
unless the transaction set guazhi.audit_purge (audit.services.purge_expired);
SQLite refuses every UPDATE (DELETE stays open there: Django's test flush
empties SQLite tables with DELETE)."""

from django.db import migrations

POSTGRESQL = [
    """
    CREATE FUNCTION audit_entry_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE'
           AND coalesce(current_setting('guazhi.audit_purge', true), '') = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    "DROP FUNCTION IF EXISTS audit_entry_append_only()",
]
SQLITE = [
    """
    CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
    BEGIN
        SELECT RAISE(ABORT, 'audit_entry is append-only: UPDATE refused');
    END
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS audit_entry_no_update"]


def _run(statements: dict):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, None)  # no parameters: "%" is plpgsql's

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
