//! The one thread that writes uploaded reports into the store, in group
//! commits: whatever arrived while the last commit was syncing is written in
//! the next transaction (a savepoint per report, so each is all-or-nothing),
//! and every sender is answered only after its transaction is on disk. A
//! report is confirmed to an agent only once it is durably stored; a crash
//! before the commit loses only reports nobody was told were stored.

use selfcheck_ledger::import::{BatchWriter, ImportOptions, ImportOutcome};
use selfcheck_ledger::store::Store;
use selfcheck_report::VerifiedReport;
use tokio::sync::{mpsc, oneshot};

/// Reports written per transaction, at most.
const GROUP: usize = 256;

/// One verified upload waiting to be stored.
pub struct WriteJob {
    /// The file's bytes as uploaded.
    pub bytes: bytes::Bytes,
    /// The verified report.
    pub verified: VerifiedReport,
    /// Where it came from (recorded as the report's source).
    pub source: String,
    /// Where the outcome goes.
    pub reply: oneshot::Sender<ImportOutcome>,
}

/// Start the writer thread over `store`. Dropping every sender ends it after
/// the queued jobs are written; join the handle to wait for that.
pub fn start(
    mut store: Store,
    queue: usize,
) -> std::io::Result<(mpsc::Sender<WriteJob>, std::thread::JoinHandle<()>)> {
    let (tx, mut rx) = mpsc::channel::<WriteJob>(queue);
    let handle = std::thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || {
            while let Some(first) = rx.blocking_recv() {
                let mut jobs = vec![first];
                while jobs.len() < GROUP {
                    match rx.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                write_group(&mut store, jobs);
            }
        })?;
    Ok((tx, handle))
}

fn write_group(store: &mut Store, jobs: Vec<WriteJob>) {
    let options = ImportOptions::default();
    let mut batch = BatchWriter::begin(store);
    for job in &jobs {
        batch.write(Ok((&job.bytes, &job.verified)), &job.source, &options);
    }
    let outcomes = batch.finish();
    let not_stored = outcomes
        .iter()
        .filter(|o| matches!(o, ImportOutcome::Refused { error } if !error.is_about_the_file()))
        .count();
    if not_stored > 0 {
        tracing::error!(
            not_stored,
            reports = jobs.len(),
            "cannot store uploaded reports"
        );
    }
    for (job, outcome) in jobs.into_iter().zip(outcomes) {
        // The sender gave up (connection closed): the outcome stands anyway.
        let _ = job.reply.send(outcome);
    }
}
