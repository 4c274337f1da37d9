//! The installed packages of RPM hosts, on fixture roots built with the real
//! rpm tools, with `rpm -qa` as the oracle: the direct `rpmdb.sqlite` reader,
//! the rpm-binary paths (live, and a copy for Berkeley DB images), locating
//! the database below the root, corrupt files, and the write-ahead log.
//! SQLite itself (rusqlite, a test-only dependency) writes the databases the
//! reader is checked against for every page size. Nothing touches the network.

#[path = "support/rpm_fixture.rs"]
mod rpm_fixture;

use rpm_fixture::{QaRow, host, many_specs, rpm_qa, small_specs};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_hostfs::sqlite::{SqliteFile, Value, local_payload, varint};
use selfcheck_pkgdb::rpm::rpmdb::{
    self, DbKind, RpmDatabase, RpmDbError, find_rpm_binary, package_from_header, query_rpm,
    query_rpm_on_copy, read_installed, read_installed_using, read_sqlite,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The agent's packages in the oracle's form.
fn as_rows(db: &RpmDatabase) -> BTreeSet<QaRow> {
    db.packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.epoch.unwrap_or(0),
                p.epoch.map_or("(none)".into(), |e| e.to_string()),
                p.version.clone(),
                p.release.clone(),
                p.arch.clone(),
                p.source_rpm.clone().unwrap_or("(none)".into()),
                p.install_time.map_or("(none)".into(), |t| t.to_string()),
            )
        })
        .collect()
}

fn db_file(root: &Path) -> PathBuf {
    root.join("var/lib/rpm/rpmdb.sqlite")
}

/// Copy the fixture's database file alone into a fresh directory.
fn copy_db(root: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    let path = to.join("rpmdb.sqlite");
    std::fs::copy(db_file(root), &path).unwrap();
    path
}

fn rpm_binary() -> PathBuf {
    rpm_fixture::require_rpm_tools();
    find_rpm_binary()
        .expect("rpm is installed but not at /usr/bin/rpm, /bin/rpm or /usr/local/bin/rpm")
}

#[test]
fn direct_sqlite_read_equals_rpm_qa_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let root = host(dir.path(), &small_specs());
    let db = read_installed(&HostRoot::at(&root).unwrap()).unwrap();
    assert_eq!(as_rows(&db), rpm_qa(&root));
    assert!(
        db.source.ends_with("rpmdb.sqlite read directly"),
        "{}",
        db.source
    );
    assert!(db.warnings.is_empty(), "{:?}", db.warnings);
    let names: Vec<_> = db.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "sc-big",
            "sc-hello",
            "sc-hello-libs",
            "sc-lib",
            "sc-noarch-tool"
        ]
    );
    let get = |n: &str| db.packages.iter().find(|p| p.name == n).unwrap();
    let lib = get("sc-lib");
    assert_eq!((lib.epoch, lib.evr().as_str()), (Some(2), "2:0.9.1-1.el9"));
    assert_eq!(get("sc-noarch-tool").evr(), "0:2024.01~rc1-3");
    assert_eq!(get("sc-hello").arch, std::env::consts::ARCH);
    assert_eq!(get("sc-hello").epoch, None);
    let libs = get("sc-hello-libs").to_installed();
    assert_eq!(
        (
            libs.source_name.as_str(),
            libs.source_version.as_str(),
            libs.version.as_str()
        ),
        ("sc-hello", "1.2.3-4.sc1", "1.2.3-4.sc1")
    );
    assert_eq!(lib.to_installed().source_version, "2:0.9.1-1.el9");
    for p in &db.packages {
        let t = p.install_time.unwrap();
        assert!(
            (started - 5..started + 600).contains(&t),
            "{} installed at {t}",
            p.name
        );
    }
}

#[test]
fn two_hundred_packages_with_interior_pages_and_overflow_chains_equal_rpm_qa() {
    let dir = tempfile::tempdir().unwrap();
    let root = host(dir.path(), &many_specs(200));
    let t = std::time::Instant::now();
    let db = read_sqlite(&db_file(&root)).unwrap();
    let took = t.elapsed();
    let oracle = rpm_qa(&root);
    assert_eq!(oracle.len(), 201, "sc-many and its 200 subpackages");
    assert_eq!(as_rows(&db), oracle);
    let source = Some("sc-many-3.0-1.src.rpm");
    assert!(
        db.packages
            .iter()
            .all(|p| p.epoch == Some(7) && p.source_rpm.as_deref() == source)
    );
    // The shape the test is meant to exercise: an interior root and headers
    // longer than several pages.
    let copy = copy_db(&root, &dir.path().join("inspect"));
    let (root_page, page_size, _, longest) = layout(&copy);
    let bytes = std::fs::read(&copy).unwrap();
    assert_eq!(
        bytes[(root_page as usize - 1) * page_size],
        0x05,
        "Packages root is an interior page"
    );
    assert!(longest > 5 * page_size, "longest header {longest} bytes");
    eprintln!("read 200 packages directly in {took:?}");
}

#[test]
fn live_path_runs_rpm_with_an_explicit_dbpath_and_agrees_with_the_direct_read() {
    let rpm = rpm_binary();
    let dir = tempfile::tempdir().unwrap();
    let root = host(dir.path(), &small_specs());
    let direct = read_sqlite(&db_file(&root)).unwrap();
    // What the live host runs: the host's rpm on the host's database directory.
    let live = query_rpm(&rpm, None, &root.join("var/lib/rpm")).unwrap();
    assert_eq!(live.packages, direct.packages);
    assert!(live.source.contains("-qa --queryformat"), "{}", live.source);
    let rooted = query_rpm(&rpm, Some(&root), Path::new("/var/lib/rpm")).unwrap();
    assert_eq!(rooted.packages, direct.packages);
    // Under --root an SQLite database never needs rpm.
    let db = read_installed_using(
        &HostRoot::at(&root).unwrap(),
        Some(Path::new("/nonexistent/rpm")),
    )
    .unwrap();
    assert_eq!(db.packages, direct.packages);
}

/// (name, size, mtime) of every file in `dir`.
fn listing(dir: &Path) -> BTreeSet<(String, u64, std::time::SystemTime)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                m.len(),
                m.modified().unwrap(),
            )
        })
        .collect()
}

#[test]
fn rpm_runs_on_a_copy_and_leaves_the_image_untouched() {
    let rpm = rpm_binary();
    let dir = tempfile::tempdir().unwrap();
    let root = host(dir.path(), &small_specs());
    let db_dir = root.join("var/lib/rpm");
    let oracle = rpm_qa(&root);
    let before = listing(&db_dir);
    let copy = query_rpm_on_copy(&rpm, &db_dir, DbKind::Sqlite).unwrap();
    assert_eq!(listing(&db_dir), before);
    assert_eq!(as_rows(&copy), oracle);
    assert!(
        copy.source.starts_with("rpm -qa on a copy of"),
        "{}",
        copy.source
    );
    assert_eq!(listing(&db_dir), before);
}

#[test]
fn berkeley_db_goes_through_rpm_or_says_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let db_dir = root.join("var/lib/rpm");
    std::fs::create_dir_all(&db_dir).unwrap();
    // Not a real Berkeley DB file: rpm refuses it, and says why.
    std::fs::write(db_dir.join("Packages"), vec![0x5a; 20_000]).unwrap();
    let host = HostRoot::at(&root).unwrap();
    let e = read_installed_using(&host, None).unwrap_err();
    assert!(
        matches!(
            e,
            RpmDbError::NoRpmBinary {
                kind: DbKind::BerkeleyDb,
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("Berkeley DB")
            && msg.contains("no rpm binary")
            && msg.contains("var/lib/rpm/Packages"),
        "{msg}"
    );
    let e = read_installed_using(&host, Some(&rpm_binary())).unwrap_err();
    assert!(matches!(e, RpmDbError::RpmFailed { .. }), "{e:?}");
    assert!(e.to_string().contains("not a berkeley db"), "{e}");
    // rpm ran on a copy: it created no database in the image.
    let names: Vec<_> = listing(&db_dir).into_iter().map(|(n, ..)| n).collect();
    assert_eq!(names, ["Packages"]);
}

#[test]
fn no_database_names_the_directories_looked_in() {
    let dir = tempfile::tempdir().unwrap();
    let e = read_installed_using(&HostRoot::at(dir.path()).unwrap(), None).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, RpmDbError::NoDatabase { .. }));
    assert!(
        msg.contains("var/lib/rpm") && msg.contains("usr/lib/sysimage/rpm"),
        "{msg}"
    );
}

#[test]
fn database_links_resolve_below_the_root_never_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let other = host(&dir.path().join("other"), &small_specs());
    // Fedora-style: var/lib/rpm -> /usr/lib/sysimage/rpm, absolute, inside the image.
    let root = dir.path().join("image");
    std::fs::create_dir_all(root.join("usr/lib/sysimage/rpm")).unwrap();
    std::fs::create_dir_all(root.join("var/lib")).unwrap();
    std::fs::copy(
        db_file(&other),
        root.join("usr/lib/sysimage/rpm/rpmdb.sqlite"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/usr/lib/sysimage/rpm", root.join("var/lib/rpm")).unwrap();
    let db = read_installed(&HostRoot::at(&root).unwrap()).unwrap();
    assert_eq!(as_rows(&db), rpm_qa(&other));
    assert!(
        db.source
            .contains("image/usr/lib/sysimage/rpm/rpmdb.sqlite"),
        "{}",
        db.source
    );
    assert!(db.warnings.is_empty(), "{:?}", db.warnings);
    // A link to a database outside the image is taken below the root, where there is none.
    let escape = dir.path().join("escape");
    std::fs::create_dir_all(escape.join("var/lib")).unwrap();
    std::os::unix::fs::symlink(other.join("var/lib/rpm"), escape.join("var/lib/rpm")).unwrap();
    let e = read_installed(&HostRoot::at(&escape).unwrap()).unwrap_err();
    assert!(matches!(e, RpmDbError::NoDatabase { .. }), "{e:?}");
}

#[test]
fn truncated_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = host(&dir.path().join("h"), &small_specs());
    let path = copy_db(&root, &dir.path().join("t"));
    let bytes = std::fs::read(&path).unwrap();
    for (len, want) in [
        (bytes.len() / 2, "truncated"),
        (4096 + 100, "truncated"),
        (50, "too short"),
        (0, "too short"),
    ] {
        std::fs::write(&path, &bytes[..len]).unwrap();
        let e = read_sqlite(&path).unwrap_err().to_string();
        assert!(
            e.contains(want) && e.contains("rpmdb.sqlite"),
            "{len} bytes: {e}"
        );
    }
    std::fs::write(&path, "not a database at all. ".repeat(300)).unwrap();
    assert!(
        read_sqlite(&path)
            .unwrap_err()
            .to_string()
            .contains("not an SQLite 3 database")
    );
}

/// Root page of `Packages`, page size, and the hnum and length of the longest header.
fn layout(path: &Path) -> (u32, usize, i64, usize) {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let (root, page_size, hnum, longest): (u32, i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT rootpage FROM sqlite_schema WHERE name = 'Packages'), \
             (SELECT page_size FROM pragma_page_size), \
             hnum, length(blob) FROM Packages ORDER BY length(blob) DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    (root, page_size as usize, hnum, longest as usize)
}

/// The file offset of the first overflow page number of row `rowid`'s cell.
fn overflow_pointer(bytes: &[u8], page_size: usize, root: u32, rowid: i64) -> usize {
    let mut n = root as usize;
    'down: loop {
        let base = (n - 1) * page_size;
        let hdr = base + if n == 1 { 100 } else { 0 };
        let cells = u16::from_be_bytes([bytes[hdr + 3], bytes[hdr + 4]]) as usize;
        let interior = bytes[hdr] == 0x05;
        let array = hdr + if interior { 12 } else { 8 };
        for i in 0..cells {
            let off = base
                + u16::from_be_bytes([bytes[array + 2 * i], bytes[array + 2 * i + 1]]) as usize;
            if interior {
                let (key, _) = varint(&bytes[off + 4..]).unwrap();
                if rowid <= key as i64 {
                    n = u32::from_be_bytes(bytes[off..off + 4].try_into().unwrap()) as usize;
                    continue 'down;
                }
            } else {
                let (size, a) = varint(&bytes[off..]).unwrap();
                let (key, b) = varint(&bytes[off + a..]).unwrap();
                if key as i64 == rowid {
                    return off + a + b + local_payload(page_size as u32, size as usize);
                }
            }
        }
        assert!(interior, "row {rowid} not found");
        n = u32::from_be_bytes(bytes[hdr + 8..hdr + 12].try_into().unwrap()) as usize;
    }
}

#[test]
fn cycle_in_an_overflow_chain_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let root = host(&dir.path().join("h"), &small_specs());
    let path = copy_db(&root, &dir.path().join("c"));
    let (table, page_size, hnum, _) = layout(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = overflow_pointer(&bytes, page_size, table, hnum);
    let first = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    // The first overflow page names itself as the next one.
    let page = (first as usize - 1) * page_size;
    bytes[page..page + 4].copy_from_slice(&first.to_be_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let e = read_sqlite(&path).unwrap_err().to_string();
    assert!(
        e.contains("cycle") && e.contains(&format!("page {first}")),
        "{e}"
    );
}

#[test]
fn random_bytes_in_a_table_page_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = host(&dir.path().join("h"), &many_specs(60));
    let path = copy_db(&root, &dir.path().join("r"));
    let (table, page_size, _, _) = layout(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    let mut rng = Rng(0x5eed);
    let page = (table as usize - 1) * page_size;
    for b in &mut bytes[page..page + page_size] {
        *b = rng.next() as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let e = read_sqlite(&path).unwrap_err().to_string();
    assert!(e.contains("corrupt SQLite database: page"), "{e}");
}

#[test]
fn missing_packages_table_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = host(&dir.path().join("h"), &small_specs());
    let path = copy_db(&root, &dir.path().join("m"));
    let mut bytes = std::fs::read(&path).unwrap();
    let mut i = 0;
    while let Some(k) = bytes[i..].windows(8).position(|w| w == b"Packages") {
        bytes[i + k + 7] = b'z';
        i += k + 8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let e = read_sqlite(&path).unwrap_err();
    assert!(matches!(e, RpmDbError::NoPackagesTable { .. }), "{e:?}");
    assert!(e.to_string().contains("has no Packages table"), "{e}");
}

/// xorshift64: deterministic noise.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn single_byte_flips_never_panic_or_hang() {
    use std::os::unix::fs::FileExt;
    let dir = tempfile::tempdir().unwrap();
    let root = host(&dir.path().join("h"), &many_specs(40));
    // Only rpm's Packages table, so that nearly every byte is one the reader uses.
    let path = dir.path().join("packages.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!(
        "ATTACH '{}' AS r; \
         CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL); \
         INSERT INTO Packages SELECT hnum, blob FROM r.Packages; DETACH r;",
        db_file(&root).display()
    ))
    .unwrap();
    drop(conn);
    let clean = read_sqlite(&path).unwrap();
    assert_eq!(as_rows(&clean), rpm_qa(&root));
    let bytes = std::fs::read(&path).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let (mut same, mut differ, mut refused) = (0, 0, 0);
    let t = std::time::Instant::now();
    for _ in 0..2000 {
        let r = rng.next();
        // A quarter in page 1, a quarter in the first bytes of some page (page
        // headers, cell pointers, overflow links), the rest anywhere.
        let at = match r & 3 {
            0 => (r >> 8) as usize % 4096,
            1 => ((r >> 8) as usize % (bytes.len() / 4096)) * 4096 + (r >> 32) as usize % 24,
            _ => (r >> 8) as usize % bytes.len(),
        };
        let new = if r & 4 == 0 {
            bytes[at] ^ (1u8 << ((r >> 4) % 8))
        } else {
            (r >> 40) as u8
        };
        file.write_all_at(&[new], at as u64).unwrap();
        match std::panic::catch_unwind(|| read_sqlite(&path)) {
            Ok(Ok(db)) if db == clean => same += 1,
            Ok(Ok(_)) => differ += 1,
            Ok(Err(_)) => refused += 1,
            Err(_) => panic!("reading with byte {at} set to {new:#04x} panicked"),
        }
        file.write_all_at(&[bytes[at]], at as u64).unwrap();
    }
    eprintln!(
        "2000 changed bytes in a {}-byte file: {same} read as before, {differ} read otherwise \
         (or with warnings), {refused} refused, in {:?}",
        bytes.len(),
        t.elapsed()
    );
    assert!(refused > 50 && differ > 0);
}

/// The packages whose header blobs a row set holds, via SQLite itself.
fn names_via_sqlite(conn: &rusqlite::Connection) -> BTreeSet<String> {
    let mut stmt = conn.prepare("SELECT blob FROM Packages").unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap();
    rows.filter_map(|b| package_from_header(&b.unwrap()).unwrap())
        .map(|p| p.name)
        .collect()
}

fn names(db: &RpmDatabase) -> BTreeSet<String> {
    db.packages.iter().map(|p| p.name.clone()).collect()
}

#[test]
fn committed_wal_transactions_are_applied_and_a_torn_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let root = host(&dir.path().join("h"), &small_specs());
    let path = copy_db(&root, &dir.path().join("w"));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    // rpm's index tables refer to Packages; rpm itself does not enforce that.
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    let hnum = |name: &str| -> i64 {
        let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages").unwrap();
        let rows: Vec<(i64, Vec<u8>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.into_iter()
            .find(|(_, b)| package_from_header(b).unwrap().unwrap().name == name)
            .unwrap()
            .0
    };
    let (lib, big) = (hnum("sc-lib"), hnum("sc-big"));
    conn.execute("DELETE FROM Packages WHERE hnum = ?1", [lib])
        .unwrap();
    // Torn copy point: the log as it is after the first transaction.
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let after_first = std::fs::metadata(&wal).unwrap().len();
    assert!(after_first > 0);
    conn.execute("DELETE FROM Packages WHERE hnum = ?1", [big])
        .unwrap();
    // A reader of the file alone would still see both packages.
    let alone = dir.path().join("alone.sqlite");
    std::fs::copy(&path, &alone).unwrap();
    let db = read_sqlite(&alone).unwrap();
    assert!(names(&db).contains("sc-lib") && names(&db).contains("sc-big"));
    let db = read_sqlite(&path).unwrap();
    assert_eq!(names(&db), names_via_sqlite(&conn));
    assert!(!names(&db).contains("sc-lib") && !names(&db).contains("sc-big"));
    assert!(
        db.source.contains("committed frames") && db.source.contains("-wal"),
        "{}",
        db.source
    );
    // The second transaction's commit frame cut off: only the first counts.
    let torn = dir.path().join("torn");
    std::fs::create_dir_all(&torn).unwrap();
    std::fs::copy(&path, torn.join("rpmdb.sqlite")).unwrap();
    let wal_bytes = std::fs::read(&wal).unwrap();
    let cut = wal_bytes.len() - 100;
    assert!(cut as u64 > after_first);
    std::fs::write(torn.join("rpmdb.sqlite-wal"), &wal_bytes[..cut]).unwrap();
    let db = read_sqlite(&torn.join("rpmdb.sqlite")).unwrap();
    assert!(
        !names(&db).contains("sc-lib") && names(&db).contains("sc-big"),
        "{:?}",
        names(&db)
    );
    // A log of noise is named, and the file alone is read.
    std::fs::write(torn.join("rpmdb.sqlite-wal"), vec![7u8; 5000]).unwrap();
    let db = read_sqlite(&torn.join("rpmdb.sqlite")).unwrap();
    assert!(names(&db).contains("sc-lib"));
    assert!(
        db.warnings.iter().any(|w| w.contains("-wal not applied")),
        "{:?}",
        db.warnings
    );
    drop(conn);
}

/// A test table's expected row.
fn row(k: i64, size: usize) -> (Vec<u8>, String, i64, f64) {
    let blob = (0..size)
        .map(|i| ((i as i64 * 31 + k) % 251) as u8)
        .collect();
    let n = match k % 5 {
        0 => 0,
        1 => 1,
        2 => -k,
        3 => k * 1_000_000_007,
        _ => i64::MIN + k,
    };
    (blob, format!("文本-{k}"), n, k as f64 / 3.0)
}

#[test]
fn sqlite_reader_agrees_with_sqlite_for_every_page_size_payload_size_and_encoding() {
    for (page_size, wal, encoding) in [
        (512u32, false, "UTF-8"),
        (1024, true, "UTF-16le"),
        (4096, false, "UTF-16be"),
        (8192, true, "UTF-8"),
        (65536, false, "UTF-8"),
        (65536, true, "UTF-8"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "page_size", page_size).unwrap();
        conn.pragma_update(None, "encoding", encoding).unwrap();
        if wal {
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        }
        conn.execute("CREATE TABLE other (x)", []).unwrap();
        conn.execute(
            "CREATE TABLE T (id INTEGER PRIMARY KEY, b BLOB, s TEXT, n INTEGER, r REAL, z)",
            [],
        )
        .unwrap();
        let u = page_size as usize;
        // Every size near the thresholds, and a sweep over three pages.
        let mut sizes: Vec<usize> = (0..3 * u).step_by(u / 61 + 1).collect();
        for edge in [u - 35, ((u - 12) * 32 / 255) - 23, u - 4, 2 * (u - 4)] {
            sizes.extend(edge.saturating_sub(60)..edge + 8);
        }
        let tx = conn.unchecked_transaction().unwrap();
        for (k, &size) in sizes.iter().enumerate() {
            let (b, s, n, r) = row(k as i64, size);
            tx.execute(
                "INSERT INTO T VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
                rusqlite::params![k as i64, b, s, n, r],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        if !wal {
            drop(conn);
            check_table(&path, &sizes, page_size, encoding);
        } else {
            assert!(
                std::fs::metadata(dir.path().join("t.db-wal"))
                    .unwrap()
                    .len()
                    > 0
            );
            check_table(&path, &sizes, page_size, encoding);
            drop(conn);
        }
    }
}

fn check_table(path: &Path, sizes: &[usize], page_size: u32, encoding: &str) {
    let db = SqliteFile::open(path).unwrap();
    assert_eq!(db.page_size(), page_size);
    assert_eq!(db.table_root("nothing").unwrap(), None);
    let root = db
        .table_root("t")
        .unwrap()
        .unwrap_or_else(|| panic!("{page_size} {encoding}: no table T"));
    let mut seen = 0;
    db.for_each_row(root, |id, cols| {
        let (b, s, n, r) = row(id, sizes[id as usize]);
        assert_eq!(id, seen, "{page_size} {encoding}: rows in rowid order");
        assert_eq!(cols.len(), 6);
        assert_eq!(cols[0], Value::Null);
        assert_eq!(
            cols[1],
            Value::Blob(b),
            "{page_size} {encoding}: row {id}, {} bytes",
            sizes[id as usize]
        );
        let Value::Text(t) = &cols[2] else {
            panic!("{:?}", cols[2])
        };
        assert_eq!(db.text(t), s);
        assert_eq!(cols[3], Value::Integer(n));
        // SQLite stores a whole REAL as an integer on disk.
        match cols[4] {
            Value::Integer(i) => assert_eq!(i as f64, r),
            ref v => assert_eq!(*v, Value::Real(r)),
        }
        assert_eq!(cols[5], Value::Null);
        seen += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(seen as usize, sizes.len());
}

#[test]
fn live_host_without_an_rpm_database_says_where_it_looked() {
    let live = HostRoot::live();
    if rpmdb::DB_DIRS.iter().any(|d| {
        Path::new("/").join(d).join("rpmdb.sqlite").exists()
            || Path::new("/").join(d).join("Packages").exists()
    }) {
        return; // an RPM host: nothing to assert about absence
    }
    let e = read_installed(&live).unwrap_err();
    assert!(e.to_string().contains("/var/lib/rpm"), "{e}");
}

#[test]
fn a_second_database_is_named_and_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let root = host(dir.path(), &small_specs());
    let old = root.join("usr/lib/sysimage/rpm");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("Packages"), b"left over").unwrap();
    let db = read_installed_using(&HostRoot::at(&root).unwrap(), None).unwrap();
    assert_eq!(as_rows(&db), rpm_qa(&root));
    assert_eq!(db.warnings.len(), 1, "{:?}", db.warnings);
    assert!(
        db.warnings[0].contains("usr/lib/sysimage/rpm/Packages (Berkeley DB) ignored"),
        "{:?}",
        db.warnings
    );
}

#[test]
fn an_empty_database_is_an_error_not_a_clean_host() {
    rpm_fixture::require_rpm_tools();
    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("rpmdb")
        .arg("--root")
        .arg(dir.path())
        .args([
            "--dbpath",
            "/var/lib/rpm",
            "--define",
            "_db_backend sqlite",
            "--initdb",
        ])
        .status()
        .unwrap();
    assert!(made.success());
    assert!(dir.path().join("var/lib/rpm/rpmdb.sqlite").is_file());
    // rpm itself lists nothing in it.
    assert!(rpm_qa(dir.path()).is_empty());
    let root = HostRoot::at(dir.path()).unwrap();
    let e = read_installed_using(&root, None).unwrap_err();
    assert!(matches!(e, RpmDbError::Empty { .. }), "{e:?}");
    assert!(e.to_string().contains("lists no installed package"), "{e}");
}
