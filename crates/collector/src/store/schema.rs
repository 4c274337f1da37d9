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
