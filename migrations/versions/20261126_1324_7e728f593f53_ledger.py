"""ledger

Revision ID: 7e728f593f53
Revises: 91bcf4d934bb
Create Date: 2026-11-26 13:24:09.003772+00:00

Each migration must work with the previous release still running (expand, then contract in a later
release): add columns nullable or with a server default, never rename in one step, and avoid long locks
on big tables (create indexes CONCURRENTLY on PostgreSQL where a table is large).

The resident's hash-chained ledger. The APPI 法30条 receipts move from `data_receipt` into it (one RECEIPT record
each, oldest first per resident, hashed with app.ledger.chain), then `data_receipt` goes: the receipts must be
kept 3 years, so they are carried over, not dropped. (A pilot-stage exception to expand/contract: no release in
service writes `data_receipt`.) On PostgreSQL, triggers make the chain insert-only for every role the app uses.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
import app.db

# revision identifiers, used by Alembic.
revision: str = '7e728f593f53'
down_revision: Union[str, None] = '91bcf4d934bb'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# Records and anchors never change; a payload may be deleted (erasure) but never altered; a chain is never deleted
# and its head only advances by one, to a record of the chain; a record must follow its predecessor's hash.
# (Bypassed only by a superuser with `SET session_replication_role = replica`, as the tamper tests do.)
POSTGRESQL_TRIGGERS = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % on % is not allowed (the ledger is append-only)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION ledger_record_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq = 1 AND NEW.prev_hash = repeat('0', 64) THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ledger_record
                   WHERE chain_id = NEW.chain_id AND seq = NEW.seq - 1 AND record_hash = NEW.prev_hash) THEN
        RAISE EXCEPTION 'ledger: record % of chain % does not follow its predecessor', NEW.seq, NEW.chain_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION ledger_chain_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger: DELETE on ledger_chain is not allowed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id <> OLD.id OR NEW.subject <> OLD.subject OR NEW.created_at <> OLD.created_at
       OR NEW.head_seq <> OLD.head_seq + 1
       OR NOT EXISTS (SELECT 1 FROM ledger_record
                      WHERE chain_id = NEW.id AND seq = NEW.head_seq AND record_hash = NEW.head_hash) THEN
        RAISE EXCEPTION 'ledger: a chain head only advances by one, to a record of the chain'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER ledger_record_append_only BEFORE UPDATE OR DELETE ON ledger_record
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_record_no_truncate BEFORE TRUNCATE ON ledger_record
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_record_follows BEFORE INSERT ON ledger_record
    FOR EACH ROW EXECUTE FUNCTION ledger_record_follows();
CREATE TRIGGER ledger_payload_unchanged BEFORE UPDATE ON ledger_payload
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_anchor_append_only BEFORE UPDATE OR DELETE ON ledger_anchor
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_anchor_no_truncate BEFORE TRUNCATE ON ledger_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_chain_advance_only BEFORE UPDATE OR DELETE ON ledger_chain
    FOR EACH ROW EXECUTE FUNCTION ledger_chain_advance();
CREATE TRIGGER ledger_chain_no_truncate BEFORE TRUNCATE ON ledger_chain
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
"""

DROP_POSTGRESQL_TRIGGERS = """
DROP TRIGGER IF EXISTS ledger_chain_no_truncate ON ledger_chain;
DROP TRIGGER IF EXISTS ledger_chain_advance_only ON ledger_chain;
DROP TRIGGER IF EXISTS ledger_anchor_no_truncate ON ledger_anchor;
DROP TRIGGER IF EXISTS ledger_anchor_append_only ON ledger_anchor;
DROP TRIGGER IF EXISTS ledger_payload_unchanged ON ledger_payload;
DROP TRIGGER IF EXISTS ledger_record_follows ON ledger_record;
DROP TRIGGER IF EXISTS ledger_record_no_truncate ON ledger_record;
DROP TRIGGER IF EXISTS ledger_record_append_only ON ledger_record;
DROP FUNCTION IF EXISTS ledger_chain_advance();
DROP FUNCTION IF EXISTS ledger_record_follows();
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""

# Lightweight table views for moving the data (not the models: they change, this revision must not).
data_receipt = sa.table(
    "data_receipt",
    sa.column("id", sa.BigInteger()), sa.column("resident_principal", sa.String()), sa.column("source_key", sa.String()),
    sa.column("provider_name", sa.String()), sa.column("provider_address", sa.String()),
    sa.column("provider_representative", sa.String()), sa.column("how_obtained", sa.String()),
    sa.column("basis", sa.String()), sa.column("items", sa.JSON()), sa.column("kept", sa.Boolean()),
    sa.column("received_at", app.db.UTCDateTime()), sa.column("details", sa.JSON()),
)
ledger_chain = sa.table(
    "ledger_chain", sa.column("id", sa.Uuid()), sa.column("subject", sa.String()),
    sa.column("created_at", app.db.UTCDateTime()), sa.column("head_seq", sa.Integer()), sa.column("head_hash", sa.String()),
)
ledger_record = sa.table(
    "ledger_record", sa.column("id", sa.BigInteger()), sa.column("chain_id", sa.Uuid()), sa.column("seq", sa.Integer()),
    sa.column("kind", sa.String()), sa.column("at", app.db.UTCDateTime()), sa.column("prev_hash", sa.String()),
    sa.column("payload_digest", sa.String()), sa.column("record_hash", sa.String()),
)
ledger_payload = sa.table(
    "ledger_payload", sa.column("record_id", sa.BigInteger()), sa.column("salt", sa.String()),
    sa.column("body", sa.JSON()),
)


def _move_receipts_into_the_ledger() -> None:
    import uuid

    from app.ledger import chain as hashing

    bind = op.get_bind()
    rows = bind.execute(sa.select(data_receipt).order_by(
        data_receipt.c.resident_principal, data_receipt.c.received_at, data_receipt.c.id)).all()
    heads: dict[str, tuple[uuid.UUID, int, str]] = {}
    for row in rows:
        subject = row.resident_principal
        if subject not in heads:
            chain_id = uuid.uuid4()
            bind.execute(ledger_chain.insert().values(id=chain_id, subject=subject, created_at=row.received_at,
                                                      head_seq=0, head_hash=hashing.ZERO_HASH))
            heads[subject] = (chain_id, 0, hashing.ZERO_HASH)
        chain_id, seq, previous = heads[subject]
        seq += 1
        body = hashing.normalise_payload({
            "source_key": row.source_key, "provider_name": row.provider_name,
            "provider_address": row.provider_address, "provider_representative": row.provider_representative,
            "how_obtained": row.how_obtained, "basis": row.basis, "items": sorted(row.items or []),
            "kept": bool(row.kept), "details": dict(row.details or {}),
        })
        salt = hashing.new_salt()
        digest = hashing.payload_digest(salt, body)
        record_hash = hashing.record_hash(chain_id=chain_id, seq=seq, kind="receipt", at=row.received_at,
                                          prev_hash=previous, payload_digest=digest)
        bind.execute(ledger_record.insert().values(chain_id=chain_id, seq=seq, kind="receipt", at=row.received_at,
                                                   prev_hash=previous, payload_digest=digest, record_hash=record_hash))
        record_id = bind.execute(sa.select(ledger_record.c.id).where(
            ledger_record.c.chain_id == chain_id, ledger_record.c.seq == seq)).scalar_one()
        bind.execute(ledger_payload.insert().values(record_id=record_id, salt=salt, body=body))
        heads[subject] = (chain_id, seq, record_hash)
    for chain_id, seq, head in heads.values():
        bind.execute(ledger_chain.update().where(ledger_chain.c.id == chain_id).values(head_seq=seq, head_hash=head))


def _copy_receipts_back() -> None:
    """Downgrade: the receipts' facts go back to `data_receipt` (the rest of the ledger has no place there)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(ledger_chain.c.subject, ledger_record.c.at, ledger_payload.c.body)
        .select_from(ledger_record.join(ledger_chain, ledger_chain.c.id == ledger_record.c.chain_id)
                     .join(ledger_payload, ledger_payload.c.record_id == ledger_record.c.id))
        .where(ledger_record.c.kind == "receipt")
        .order_by(ledger_record.c.at)
    ).all()
    for subject, at, body in rows:
        bind.execute(data_receipt.insert().values(
            resident_principal=subject, source_key=body.get("source_key", ""),
            provider_name=body.get("provider_name", ""), provider_address=body.get("provider_address", ""),
            provider_representative=body.get("provider_representative", ""),
            how_obtained=body.get("how_obtained", ""), basis=body.get("basis", ""), items=body.get("items", []),
            kept=bool(body.get("kept")), received_at=at, details=body.get("details", {}),
        ))


def upgrade() -> None:
    op.create_table('ledger_anchor',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', app.db.UTCDateTime(), nullable=False),
    sa.Column('heads', sa.JSON(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('jws', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_anchor'))
    )
    with op.batch_alter_table('ledger_anchor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_anchor_at'), ['at'], unique=False)

    op.create_table('ledger_chain',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('head_seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_chain')),
    sa.UniqueConstraint('subject', name=op.f('uq_ledger_chain_subject'))
    )
    op.create_table('ledger_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('chain_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('at', app.db.UTCDateTime(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('payload_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('record_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_ledger_record_seq_positive')),
    sa.ForeignKeyConstraint(['chain_id'], ['ledger_chain.id'], name=op.f('fk_ledger_record_chain_id_ledger_chain')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_record')),
    sa.UniqueConstraint('chain_id', 'seq', name=op.f('uq_ledger_record_chain_id'))
    )
    op.create_table('ledger_payload',
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('salt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['ledger_record.id'], name=op.f('fk_ledger_payload_record_id_ledger_record')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_ledger_payload'))
    )

    _move_receipts_into_the_ledger()

    with op.batch_alter_table('data_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_receipt_received_at'))
        batch_op.drop_index(batch_op.f('ix_data_receipt_resident_principal'))
    op.drop_table('data_receipt')

    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_TRIGGERS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_POSTGRESQL_TRIGGERS)

    op.create_table('data_receipt',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('resident_principal', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source_key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('provider_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('provider_address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('provider_representative', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('how_obtained', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('basis', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('kept', sa.Boolean(), nullable=False),
    sa.Column('received_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_receipt'))
    )
    with op.batch_alter_table('data_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_receipt_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_receipt_resident_principal'), ['resident_principal'], unique=False)

    _copy_receipts_back()

    op.drop_table('ledger_payload')
    op.drop_table('ledger_record')
    op.drop_table('ledger_chain')
    with op.batch_alter_table('ledger_anchor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_anchor_at'))
    op.drop_table('ledger_anchor')
