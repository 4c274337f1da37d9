//! The SQL schema of the store, one constant per version (`PRAGMA user_version`).
//!
//! A new version adds a constant holding the statements that migrate from the
//! previous one; [`super::Store`] applies them in order when it opens an older store.

/// Version 1: reports, check runs, findings, suppressed findings, the finding
/// registry (ledger numbers) and the agent key pinned per asset.
pub(super) const SCHEMA_V1: &str = r#"
CREATE TABLE reports (
    report_id       TEXT PRIMARY KEY NOT NULL,
    asset_key       TEXT NOT NULL,
    hostname        TEXT NOT NULL,
    machine_id      TEXT,
    os_name         TEXT NOT NULL,
    ip_addresses    TEXT NOT NULL, -- JSON array of strings
    kernel          TEXT,
    period          TEXT NOT NULL, -- YYYY-MM
    started_at      TEXT NOT NULL, -- RFC 3339, offset as in the report
    finished_at     TEXT NOT NULL,
    agent_version   TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL, -- sha256:HEX of the agent's public key
    file_sha256     TEXT NOT NULL, -- hex SHA-256 of the file bytes
    source_name     TEXT NOT NULL,
    imported_at     TEXT NOT NULL,
    raw             BLOB NOT NULL  -- the report file exactly as received
) STRICT;
CREATE INDEX reports_by_period ON reports (period, asset_key);

CREATE TABLE check_runs (
    report_id     TEXT NOT NULL REFERENCES reports (report_id),
    check_id      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('passed', 'findings', 'could_not_run')),
    finding_count INTEGER NOT NULL,
    reason        TEXT,
    PRIMARY KEY (report_id, check_id)
) STRICT;

CREATE TABLE findings (
    report_id   TEXT NOT NULL REFERENCES reports (report_id),
    fingerprint TEXT NOT NULL,
    check_id    TEXT NOT NULL,
    risk        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    evidence    TEXT NOT NULL, -- JSON array of strings
    detected_at TEXT NOT NULL,
    PRIMARY KEY (report_id, fingerprint)
) STRICT;
CREATE INDEX findings_by_fingerprint ON findings (fingerprint);

CREATE TABLE suppressed_findings (
    report_id   TEXT NOT NULL REFERENCES reports (report_id),
    fingerprint TEXT NOT NULL,
    check_id    TEXT NOT NULL,
    risk        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    evidence    TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (report_id, fingerprint)
) STRICT;

CREATE TABLE finding_registry (
    fingerprint       TEXT PRIMARY KEY NOT NULL,
    asset_key         TEXT NOT NULL,
    check_id          TEXT NOT NULL,
    subject           TEXT NOT NULL,
    finding_no        TEXT NOT NULL UNIQUE, -- YYYY-MM-L-NNN, never changed
    numbered_period   TEXT NOT NULL,        -- the YYYY-MM in finding_no
    seq               INTEGER NOT NULL,     -- the NNN in finding_no
    first_seen_at     TEXT NOT NULL,
    first_seen_period TEXT NOT NULL,
    first_report_id   TEXT NOT NULL,
    UNIQUE (numbered_period, seq)
) STRICT;

CREATE TABLE asset_keys (
    asset_key        TEXT PRIMARY KEY NOT NULL,
    key_fingerprint  TEXT NOT NULL,
    first_seen_at    TEXT NOT NULL,
    pinned_at        TEXT NOT NULL,
    pinned_report_id TEXT NOT NULL
) STRICT;
"#;

/// Version 2: the asset registry (replaced whole by each import) and the
/// hash-chained history of everything people and imports did.
pub(super) const SCHEMA_V2: &str = r#"
CREATE TABLE assets (
    row_no             INTEGER PRIMARY KEY NOT NULL, -- order in the imported file, from 1
    asset_name         TEXT NOT NULL,
    hostname           TEXT,
    machine_id         TEXT,
    ip                 TEXT,
    unit               TEXT,
    asset_type         TEXT,
    os                 TEXT,
    protection_level   TEXT,
    responsible_unit   TEXT,
    responsible_person TEXT,
    contact            TEXT
) STRICT;
CREATE INDEX assets_by_machine_id ON assets (machine_id);
CREATE INDEX assets_by_hostname ON assets (hostname);

CREATE TABLE history (
    seq         INTEGER PRIMARY KEY NOT NULL, -- 1, 2, 3, ... without gaps
    at          TEXT NOT NULL,                -- RFC 3339
    actor       TEXT NOT NULL,                -- who (a person's name, or the collector itself)
    kind        TEXT NOT NULL,                -- what (status_set, report_imported, assets_imported)
    fingerprint TEXT,                         -- the finding a status_set is about
    body        TEXT NOT NULL,                -- canonical JSON of the entry's data
    prev        TEXT NOT NULL,                -- digest of entry seq - 1 (the genesis value for seq 1)
    digest      TEXT NOT NULL                 -- sm3: of this entry's canonical bytes, prev included
) STRICT;
CREATE INDEX history_by_fingerprint ON history (fingerprint, seq);
"#;

/// Version 3: the register of certificates the collector's CA issued and
/// revoked; report files stored compressed (`raw_encoding` = `lz4`; older
/// rows stay `identity`).
pub(super) const SCHEMA_V3: &str = r#"
ALTER TABLE reports ADD COLUMN raw_encoding TEXT NOT NULL DEFAULT 'identity';
CREATE TABLE certificates (
    serial        TEXT PRIMARY KEY NOT NULL, -- lowercase hex, no leading zero bytes
    role          TEXT NOT NULL,             -- client or server
    name          TEXT NOT NULL,             -- common name: the agent's host name
    sha256        TEXT NOT NULL,             -- of the certificate's DER
    not_before    TEXT NOT NULL,             -- RFC 3339
    not_after     TEXT NOT NULL,             -- RFC 3339
    issued_at     TEXT NOT NULL,             -- RFC 3339
    issued_by     TEXT NOT NULL,             -- who ran enroll
    pem           TEXT NOT NULL,             -- the certificate
    revoked_at    TEXT,                      -- RFC 3339, when revoked
    revoked_by    TEXT,
    revoke_reason TEXT
) STRICT;
CREATE INDEX certificates_by_name ON certificates (name);
"#;

/// Version 4: check runs may be `not_applicable` (outside the host's level
/// profile, or an approved exception, with its approver and expiry), and a
/// report records the protection level whose baseline profile the agent
/// applied. SQLite cannot change a CHECK constraint in place, so the table
/// is rebuilt.
pub(super) const SCHEMA_V4: &str = r#"
CREATE TABLE check_runs_v4 (
    report_id     TEXT NOT NULL REFERENCES reports (report_id),
    check_id      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('passed', 'findings', 'could_not_run', 'not_applicable')),
    finding_count INTEGER NOT NULL,
    reason        TEXT,
    approver      TEXT, -- not_applicable by an exception: who approved it
    expires       TEXT, -- and its last day, YYYY-MM-DD
    PRIMARY KEY (report_id, check_id)
) STRICT;
INSERT INTO check_runs_v4 (report_id, check_id, status, finding_count, reason)
    SELECT report_id, check_id, status, finding_count, reason FROM check_runs;
DROP TABLE check_runs;
ALTER TABLE check_runs_v4 RENAME TO check_runs;
ALTER TABLE reports ADD COLUMN baseline_level INTEGER; -- 2 or 3; NULL in reports without it
"#;

/// Version 5: a report stored although its audit time failed the import's
/// clock checks (the person accepted it) records what was wrong, and the ledger
/// counts such a report at its import time; each history entry carries the
/// collector key's seal of its digest (NULL in entries written before sealing,
/// until the store is bound; see [`crate::history`]).
pub(super) const SCHEMA_V5: &str = r#"
ALTER TABLE reports ADD COLUMN clock_skew TEXT; -- NULL: the audit time passed the checks
ALTER TABLE history ADD COLUMN seal TEXT; -- Ed25519 over selfcheck-history-seal-v1, NUL, digest; hex
"#;
