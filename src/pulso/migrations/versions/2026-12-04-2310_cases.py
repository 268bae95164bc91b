"""cases: rules that open follow-up cases, business calendars, SLA policies, cases with their timeline,
notes and compensation

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pulso.kit.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("extra_holidays", sa.JSON(), nullable=False),
        sa.Column("created_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_calendars")),
        sa.UniqueConstraint("name", name=op.f("uq_case_calendars_name")),
    )
    op.create_table(
        "case_compensation_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "cx_manager",
                "supervisor",
                "agent",
                "viewer",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("max_per_case", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_compensation_limits")),
        sa.UniqueConstraint("role", "currency", name=op.f("uq_case_compensation_limits_role_currency")),
    )
    op.create_table(
        "case_rule_cursor",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("feedback_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_case_rule_cursor")),
    )
    op.create_table(
        "case_round_robin",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("last_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_case_round_robin_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_case_round_robin")),
    )
    op.create_table(
        "case_sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("warn_percent", sa.Integer(), nullable=False),
        sa.Column("created_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("warn_percent BETWEEN 1 AND 99", name=op.f("ck_case_sla_policies_warn_percent_range")),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["case_calendars.id"],
            name=op.f("fk_case_sla_policies_calendar_id_case_calendars"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_sla_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_case_sla_policies_name")),
    )
    op.create_table(
        "case_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("condition", sa.JSON(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "low", "normal", "high", "urgent", name="priority", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("sla_policy_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column(
            "assignment",
            sa.Enum(
                "round_robin",
                "agent_supervisor",
                "named_user",
                "team_queue",
                name="assignment",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("applies_from", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_case_rules_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_case_rules_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sla_policy_id"],
            ["case_sla_policies.id"],
            name=op.f("fk_case_rules_sla_policy_id_case_sla_policies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_case_rules_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_case_rules_name")),
    )
    op.create_table(
        "case_sla_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "low", "normal", "high", "urgent", name="priority", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("segment", sa.String(length=64), nullable=True),
        sa.Column("first_contact_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "first_contact_minutes > 0 AND resolution_minutes > 0", name=op.f("ck_case_sla_targets_positive_targets")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["case_sla_policies.id"],
            name=op.f("fk_case_sla_targets_policy_id_case_sla_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_sla_targets")),
        sa.UniqueConstraint(
            "policy_id", "priority", "segment", name=op.f("uq_case_sla_targets_policy_id_priority_segment")
        ),
    )
    with op.batch_alter_table("case_sla_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_sla_targets_policy_id"), ["policy_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "in_progress",
                "waiting",
                "resolved",
                "closed",
                name="casestatus",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "low", "normal", "high", "urgent", name="priority", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("sla_policy_id", sa.Integer(), nullable=True),
        sa.Column(
            "escalation",
            sa.Enum(
                "owner",
                "supervisor",
                "manager",
                name="escalationlevel",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("escalated_to_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("first_contact_due_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("first_contact_warn_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolution_due_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolution_warn_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("paused_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("customer_contacted_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("first_contact_breached_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolution_breached_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("first_contact_seconds", sa.Integer(), nullable=True),
        sa.Column("resolution_seconds", sa.Integer(), nullable=True),
        sa.Column("root_cause", sa.String(length=64), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_cases_customer_id_customers"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["escalated_to_id"], ["users.id"], name=op.f("fk_cases_escalated_to_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_cases_feedback_id_feedback"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_cases_owner_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["case_rules.id"], name=op.f("fk_cases_rule_id_case_rules"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sla_policy_id"],
            ["case_sla_policies.id"],
            name=op.f("fk_cases_sla_policy_id_case_sla_policies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_cases_team_id_teams"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("feedback_id", name=op.f("uq_cases_feedback_id")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_cases_open_due", ["status", "resolution_due_at"], unique=False)
        batch_op.create_index("ix_cases_opened_at", ["opened_at"], unique=False)
        batch_op.create_index("ix_cases_owner_status", ["owner_id", "status"], unique=False)
        batch_op.create_index("ix_cases_team_status", ["team_id", "status"], unique=False)

    op.create_table(
        "case_compensations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "refund",
                "voucher",
                "discount",
                "gift",
                "other",
                name="compensationkind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("given_by", sa.Integer(), nullable=True),
        sa.Column("given_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_case_compensations_positive_amount")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_compensations_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["given_by"], ["users.id"], name=op.f("fk_case_compensations_given_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_compensations")),
    )
    with op.batch_alter_table("case_compensations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_compensations_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "opened",
                "status",
                "assigned",
                "priority",
                "escalated",
                "note",
                "root_cause",
                "resolution",
                "compensation",
                "contacted",
                "sla_warning",
                "sla_breached",
                "reopened",
                name="caseeventkind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_case_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index("ix_case_events_case_at", ["case_id", "at"], unique=False)

    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", pulso.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_case_notes_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_notes_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_notes_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_notes_case_id"))

    op.drop_table("case_notes")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_case_at")

    op.drop_table("case_events")
    with op.batch_alter_table("case_compensations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_compensations_case_id"))

    op.drop_table("case_compensations")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_team_status")
        batch_op.drop_index("ix_cases_owner_status")
        batch_op.drop_index("ix_cases_opened_at")
        batch_op.drop_index("ix_cases_open_due")
        batch_op.drop_index(batch_op.f("ix_cases_customer_id"))

    op.drop_table("cases")
    with op.batch_alter_table("case_sla_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_sla_targets_policy_id"))

    op.drop_table("case_sla_targets")
    op.drop_table("case_rules")
    op.drop_table("case_sla_policies")
    op.drop_table("case_round_robin")
    op.drop_table("case_rule_cursor")
    op.drop_table("case_compensation_limits")
    op.drop_table("case_calendars")
