//! The read-only SQLite page reader on its own: every table of any database file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use selfcheck_hostfs::sqlite::SqliteFile;

fuzz_target!(|data: &[u8]| {
    let path = selfcheck_fuzz::put("db.sqlite", data);
    let Ok(db) = SqliteFile::open(&path) else {
        return;
    };
    for table in ["Packages", "sqlite_master", "wtmp"] {
        if let Ok(Some(root)) = db.table_root(table) {
            let mut rows = 0u32;
            let _ = db.for_each_row(root, |_, _| {
                rows += 1;
                Ok(())
            });
        }
    }
    let _ = selfcheck_hostfs::sqlite::decode_record(data);
});
