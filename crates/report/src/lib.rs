//! The selfcheck report format, version 1: what an agent writes and a collector reads.
//!
//! A report is one JSON document `{"report": {...}, "signature": {...}}`. The
//! `report` part is described by [`Report`]; the `signature` part is an Ed25519
//! signature over the report's canonical bytes (see [`canonical`]) made with the
//! agent's own key (see [`signing`]). The format is documented in
//! `docs/report-format.md` and its JSON Schema is `docs/report-v2.schema.json`,
//! generated from these types by [`schema::report_schema_json`].

pub mod canonical;
pub mod file_kind;
pub mod finding;
pub mod host;
pub mod ids;
pub mod inventory;
pub mod keyfile;
pub mod level;
pub mod packages;
pub mod report;
pub mod schema;
pub mod signing;
pub mod upload;

pub use file_kind::FileKind;
pub use finding::{CheckOutcome, CheckRun, Finding, SuppressedFinding};
pub use host::{HostIdentity, OsRelease};
pub use ids::{CheckId, Fingerprint, IdError, Period, ReportId, Severity};
pub use inventory::{
    ChangeSummary, FileChange, FileIntegrity, Inventory, ListeningSocket, SocketProcess,
    SocketState, TransportProtocol,
};
pub use level::{LevelError, ProtectionLevel};
pub use packages::{
    InstalledPackage, PackageFamily, PackageInventory, PackageState, PendingUpdate,
    VulnerabilityFeed,
};
pub use report::{AgentInfo, READABLE_SCHEMA_VERSIONS, Report, SCHEMA_VERSION};
pub use signing::{
    AgentKey, MAX_REPORT_BYTES, ReportError, Signature, SignedReport, VerifiedReport,
    verify_detached,
};
