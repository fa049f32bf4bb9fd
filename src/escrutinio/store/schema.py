"""The tables of the store, declared once with SQLAlchemy Core.

The migrations in ``migrations/versions`` must produce exactly these
definitions on SQLite and on PostgreSQL; a test compares them.
"""

from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, String, Table, Text, UniqueConstraint)

metadata = MetaData()

election = Table(
    "election", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("settings", Text, nullable=False),  # JSON: date, time zone, percent rule, …
    Column("created_at", DateTime(timezone=True), nullable=False),
)

contest = Table(
    "contest", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("blank", Boolean, nullable=False),
    Column("position", Integer, nullable=False),
)

option = Table(
    "option", metadata,
    Column("id", Integer, primary_key=True),
    Column("contest_id", Integer, ForeignKey("contest.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("position", Integer, nullable=False),
    UniqueConstraint("contest_id", "code"),
)

area = Table(
    "area", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("level", Integer, nullable=False),
    Column("parent_id", Integer, ForeignKey("area.id"), nullable=True, index=True),
)

centre = Table(
    "centre", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("area_id", Integer, ForeignKey("area.id"), nullable=False, index=True),
)

polling_table = Table(
    "polling_table", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("centre_id", Integer, ForeignKey("centre.id"), nullable=False, index=True),
    Column("registered", Integer, nullable=False),
    Column("contests", Text, nullable=False),  # contest codes on its ballot, ';'-separated
)

acta = Table(
    "acta", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("table_id", Integer, ForeignKey("polling_table.id"), nullable=False),
    Column("contest_id", Integer, ForeignKey("contest.id"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("content", Text, nullable=False),  # canonical JSON of the acta
    Column("status", String(32), nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of quarantine reasons
    Column("source", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("signature", LargeBinary, nullable=True),  # Ed25519, 64 bytes; None in unsigned mode
    # None: sent by the table's device; "manual": keyed in by hand (twice); "recount": a board's recount
    Column("entry", String(16), nullable=True),
    Column("confirmed_by", Text, nullable=True),  # a manual acta: the operator of its agreeing second entry
    Column("image_sha256", String(64), nullable=True),  # a manual acta: its scanned paper acta (acta_image)
    # The acta's counts packed (store.pack_counts: int32 little-endian, the votes in ballot order, then null,
    # blank and ballots cast), so that a tally is read without parsing every acta's JSON; None: read the content.
    Column("counts", LargeBinary, nullable=True),
    # Also serves a slot's look-ups (table_id, contest_id) by its prefix.
    UniqueConstraint("table_id", "contest_id", "digest"),
)
# SQLite: every acta's (contest, status, table, counts) in one covering index, so that a tally reads it
# alone, a (contest, status) group at a time, in index order (store.acta_count_columns), instead of every
# acta's row with its JSON and signature. Not on PostgreSQL: a btree entry there holds ~2.7 KB at most,
# less than a contest of several hundred options packs to (its tally reads the table).
Index("ix_acta_tally", acta.c.contest_id, acta.c.status, acta.c.table_id, acta.c.counts,
      info={"dialects": ("sqlite",)}).ddl_if(dialect="sqlite")

acta_event = Table(
    "acta_event", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("acta_id", BigInteger().with_variant(Integer, "sqlite"), ForeignKey("acta.id"), nullable=False,
           index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(32), nullable=False),
    Column("operator", Text, nullable=False),
    Column("reason", Text, nullable=False),
)

# Scanned paper actas of manual entries, by the SHA-256 of their bytes (which the log names).
acta_image = Table(
    "acta_image", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
)

# Actas refused at intake: what, when, from where and why; the SHA-256 of the bytes, never the bytes.
# Bounded: the oldest rows are folded into refused_summary when it is full.
refused_acta = Table(
    "refused_acta", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("table_code", String(64), nullable=True),
    Column("source", Text, nullable=False),  # file:line, or client address and token name
    Column("reason", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),
)

refused_summary = Table(
    "refused_summary", metadata,
    Column("reason", String(32), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

bulletin = Table(
    "bulletin", metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("cut_off", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Column("previous_hash", String(64), nullable=True),
    Column("body", LargeBinary, nullable=False),  # zlib-compressed canonical JSON of the head
    # zlib of each contest's counter matrix (int64 little-endian), in the head's contest order.
    Column("counters", LargeBinary, nullable=True),
    # The per-table counters the bulletin was built from, so that the next one starts from them.
    Column("tally", LargeBinary, nullable=True),
)

table_key = Table(
    "table_key", metadata,
    Column("table_id", Integer, ForeignKey("polling_table.id"), primary_key=True, autoincrement=False),
    Column("public_key", LargeBinary, nullable=False),  # 32 bytes, Ed25519
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

log_leaf = Table(
    "log_leaf", metadata,
    Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),  # election, keys, key_replacement, acta, event or bulletin
    # acta id, bulletin number, the table's id (key_replacement) or how many tables (keys)
    Column("ref", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("data", LargeBinary, nullable=False),  # canonical JSON of the record
    Column("leaf_hash", LargeBinary, nullable=False),  # SHA-256(0x00 || data)
    Column("appended_at", DateTime(timezone=True), nullable=False),
    Index("ix_log_leaf_kind_ref", "kind", "ref"),
)

authority = Table(
    "authority", metadata,
    Column("id", Integer, primary_key=True),
    Column("public_key", LargeBinary, nullable=False),  # Ed25519: signs the log's tree heads
    Column("private_key", LargeBinary, nullable=True),  # None when kept in a file (setting authority_key_file)
    Column("created_at", DateTime(timezone=True), nullable=False),
)

operator_token = Table(
    "operator_token", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 hex; the token itself is never kept
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# -- the live coverage timeline ---------------------------------------------

timeline_entry = Table(
    "timeline_entry", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # note, key or bulletin
    Column("body", Text, nullable=False),  # Markdown as written; sanitised when shown
    Column("pinned", Boolean, nullable=False),
    Column("media_url", Text, nullable=True),
    Column("media_title", Text, nullable=True),
    Column("bulletin_number", Integer, ForeignKey("bulletin.number"), nullable=True, unique=True),
    Column("data", Text, nullable=True),  # JSON: a bulletin entry's headline figures
    Column("author", Text, nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Column("delete_reason", Text, nullable=True),
    Column("revision", BigInteger().with_variant(Integer, "sqlite"), nullable=False, index=True),
)

# Every change to an entry, numbered without gaps in commit order (max + 1 under a unique key),
# so that "changes since N" never misses one committed late.
timeline_change = Table(
    "timeline_change", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("entry_id", Integer, ForeignKey("timeline_entry.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(16), nullable=False),  # posted, edited, pinned, unpinned, deleted, comment
    Column("editor", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("body", Text, nullable=True),  # the body after a post or an edit
    Column("media_url", Text, nullable=True),
    Column("media_title", Text, nullable=True),
)

timeline_comment = Table(
    "timeline_comment", metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", Integer, ForeignKey("timeline_entry.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("body", Text, nullable=False),  # plain text
    Column("status", String(16), nullable=False, index=True),  # pending, approved, rejected
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Column("moderated_at", DateTime(timezone=True), nullable=True),
    Column("moderator", Text, nullable=True),
    Column("reason", Text, nullable=True),
)

# -- observers --------------------------------------------------------------

observer = Table(
    "observer", metadata,
    Column("id", Integer, primary_key=True),
    Column("accreditation", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # international, national, media, party_witness
    Column("organisation", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("assignment", String(64), nullable=True),  # a centre or table code; None: anywhere
    Column("status", String(16), nullable=False),  # accredited, pending, revoked
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Phones as digits in international form: how an SMS is recognised as an observer's.
observer_phone = Table(
    "observer_phone", metadata,
    Column("phone", String(16), primary_key=True),
    Column("observer_id", Integer, ForeignKey("observer.id"), nullable=False, index=True),
)

# An operator token (role observer) that acts for one observer, within their assignment.
observer_token = Table(
    "observer_token", metadata,
    Column("token_id", Integer, ForeignKey("operator_token.id"), primary_key=True),
    Column("observer_id", Integer, ForeignKey("observer.id"), nullable=False, index=True),
)

# -- observers' reports: messages, incidents, quick-count results ------------

# Every inbound SMS once per gateway and message id (gateways resend), with the reply it got.
observer_message = Table(
    "observer_message", metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(32), nullable=False),  # a gateway's name, or web
    Column("message_id", String(128), nullable=False),
    Column("sender", String(64), nullable=False),  # digits of the phone; web: the token's name
    Column("observer_id", Integer, ForeignKey("observer.id"), nullable=True),
    Column("body", Text, nullable=False),
    Column("outcome", String(16), nullable=False),  # accepted, rejected, unknown_sender
    Column("reply", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "message_id"),
)

incident = Table(
    "incident", metadata,
    Column("id", Integer, primary_key=True),
    Column("category", String(32), nullable=False),
    Column("severity", String(8), nullable=False),  # low, medium, high
    Column("place", String(64), nullable=False),  # a table, centre or area code
    Column("description", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # unverified, verified, rejected, escalated, closed
    Column("channel", String(32), nullable=False),  # a gateway's name, web or editor
    Column("observer_id", Integer, ForeignKey("observer.id"), nullable=True),  # never published
    Column("message_id", Integer, ForeignKey("observer_message.id"), nullable=True),
    Column("duplicate_of", Integer, ForeignKey("incident.id"), nullable=True),
    Column("timeline_entry_id", Integer, ForeignKey("timeline_entry.id"), nullable=True),
    Column("reported_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

incident_change = Table(
    "incident_change", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incident.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("editor", Text, nullable=False),
    Column("reason", Text, nullable=True),
)

# A sampled table's figures for one contest as an observer sent them; the latest one counts.
observer_result = Table(
    "observer_result", metadata,
    Column("id", Integer, primary_key=True),
    Column("table_code", String(64), nullable=False),
    Column("contest", String(64), nullable=False),
    Column("votes", Text, nullable=False),  # JSON: option code -> votes
    Column("valid", Integer, nullable=False),
    Column("observer_id", Integer, ForeignKey("observer.id"), nullable=True),
    Column("message_id", Integer, ForeignKey("observer_message.id"), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_observer_result_slot", "table_code", "contest"),
)

# -- the quick count's sample, and claims checked against the count ----------

quickcount_sample = Table(
    "quickcount_sample", metadata,
    Column("id", Integer, primary_key=True),
    Column("seed", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("strata", String(64), nullable=True),  # a level name; None: one stratum
    Column("saved_at", DateTime(timezone=True), nullable=False),
)

claim = Table(
    "claim", metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", Integer, ForeignKey("timeline_entry.id"), nullable=True, index=True),
    Column("author", Text, nullable=False),  # who said it
    Column("said_at", DateTime(timezone=True), nullable=False),
    Column("statement", Text, nullable=False),  # in the documented claim form
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# -- a previous election, on this night's geography ---------------------------

previous_election = Table(
    "previous_election", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("settings", Text, nullable=False),  # JSON: date, options, mapping, unit, unmatched, split, source
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

previous_unit = Table(
    "previous_unit", metadata,
    Column("id", Integer, primary_key=True),
    Column("previous_id", Integer, ForeignKey("previous_election.id"), nullable=False, index=True),
    Column("code", String(64), nullable=False),  # tonight's table, centre or area code
    Column("figures", Text, nullable=False),  # JSON list: registered, ballots_cast, null, votes per option
)

# -- partner webhooks ------------------------------------------------------------

# A partner system that receives signed POSTs; the marks are how far its events have been read
# (bulletin number, acta event id, timeline change id), so that nothing is sent twice or missed.
webhook_subscriber = Table(
    "webhook_subscriber", metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),  # HMAC-SHA256 key, shared with the partner
    Column("events", Text, nullable=False),  # space-separated event names
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("removed_at", DateTime(timezone=True), nullable=True),
    Column("bulletin_mark", Integer, nullable=False),
    Column("acta_event_mark", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("timeline_mark", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
)

# Every delivery and its attempts: the delivery log.
webhook_delivery = Table(
    "webhook_delivery", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("subscriber_id", Integer, ForeignKey("webhook_subscriber.id"), nullable=False, index=True),
    Column("event", String(32), nullable=False),
    Column("delivery_id", String(64), nullable=False, unique=True),
    Column("body", Text, nullable=False),  # the JSON sent, byte for byte (UTF-8)
    Column("status", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_code", Integer, nullable=True),  # the HTTP status of the last attempt
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
)
