//! `baseline.login-lockout` reads what PAM does: the lockout module must be in
//! an auth stack, and its limit comes from its arguments, its configuration
//! file or its built-in default, in that order.

use selfcheck_report::CheckOutcome;

#[allow(dead_code)]
#[path = "support/baseline_fixture.rs"]
mod baseline_fixture;
#[allow(dead_code)]
#[path = "support/baseline_run.rs"]
mod baseline_run;
#[allow(dead_code)]
#[path = "support/sshd_fixture.rs"]
mod sshd_fixture;
use baseline_fixture::{good_root, write};
use baseline_run::{evidence, outcome, run};

const ID: &str = "baseline.login-lockout";

/// The outcome and evidence with `common-auth` (and faillock.conf, when given) replaced.
fn lockout(common_auth: &str, faillock_conf: Option<&str>) -> (CheckOutcome, Vec<String>) {
    let root = good_root();
    write(root.path(), "etc/pam.d/common-auth", common_auth, 0o644);
    if let Some(conf) = faillock_conf {
        write(root.path(), "etc/security/faillock.conf", conf, 0o644);
    }
    let out = run(root.path());
    (outcome(&out, ID), evidence(&out, ID))
}

const PREAUTH: &str = "auth required pam_faillock.so preauth silent\n\
auth [success=1 default=ignore] pam_unix.so nullok\n\
auth [default=die] pam_faillock.so authfail\n";

#[test]
fn faillock_without_deny_uses_its_default_of_three() {
    let (o, _) = lockout(PREAUTH, None);
    assert_eq!(o, CheckOutcome::Passed);
}

#[test]
fn the_conf_file_sets_the_limit_unless_an_argument_does() {
    let (o, ev) = lockout(PREAUTH, Some("# deny = 3\ndeny = 10\nunlock_time = 600\n"));
    assert_eq!(o, CheckOutcome::Findings { count: 1 });
    assert!(
        ev.iter()
            .any(|e| e == "/etc/security/faillock.conf:2: deny = 10"),
        "{ev:?}"
    );
    assert!(ev.iter().any(|e| e == "deny = 10: locks after 10 failures"));
    // An argument on the module line wins over the file.
    let (o, _) = lockout(
        &PREAUTH.replace("authfail", "authfail deny=4"),
        Some("deny = 10\n"),
    );
    assert_eq!(o, CheckOutcome::Passed);
    // conf= names another file.
    let root = good_root();
    write(
        root.path(),
        "etc/pam.d/common-auth",
        &PREAUTH.replace(
            "preauth silent",
            "preauth silent conf=/etc/security/strict.conf",
        ),
        0o644,
    );
    write(root.path(), "etc/security/strict.conf", "deny = 0\n", 0o644);
    let out = run(root.path());
    assert_eq!(outcome(&out, ID), CheckOutcome::Findings { count: 1 });
    assert!(
        evidence(&out, ID)
            .iter()
            .any(|e| e == "deny = 0: 0 turns locking off")
    );
}

#[test]
fn a_conf_file_without_the_module_in_the_stack_has_no_effect() {
    let (o, ev) = lockout(
        "auth [success=1 default=ignore] pam_unix.so nullok\n# auth required pam_faillock.so preauth\n",
        Some("deny = 3\n"),
    );
    assert_eq!(o, CheckOutcome::Findings { count: 1 });
    assert!(
        ev[0].starts_with(
            "no auth line calls pam_faillock.so or pam_tally2.so in /etc/pam.d/common-auth"
        ),
        "{ev:?}"
    );
    assert!(ev[1].contains("has no effect"), "{ev:?}");
    // The account type is not the auth stack.
    let (o, _) = lockout("account required pam_faillock.so deny=3\n", None);
    assert_eq!(o, CheckOutcome::Findings { count: 1 });
}

#[test]
fn pam_tally2_locks_only_with_deny() {
    let (o, ev) = lockout("auth required pam_tally2.so onerr=fail\n", None);
    assert_eq!(o, CheckOutcome::Findings { count: 1 });
    assert!(ev[0].contains("pam_tally2 never locks"), "{ev:?}");
    let (o, _) = lockout(
        "auth required /lib/security/pam_tally2.so onerr=fail deny=5 unlock_time=300\n",
        None,
    );
    assert_eq!(o, CheckOutcome::Passed);
}

#[test]
fn the_rpm_stacks_count_and_no_stack_at_all_could_not_run() {
    let root = good_root();
    std::fs::remove_file(root.path().join("etc/pam.d/common-auth")).unwrap();
    write(
        root.path(),
        "etc/pam.d/system-auth",
        "auth required pam_env.so\nauth required pam_faillock.so preauth silent deny=5\nauth [default=die] pam_faillock.so authfail deny=5\n",
        0o644,
    );
    assert_eq!(outcome(&run(root.path()), ID), CheckOutcome::Passed);
    std::fs::remove_file(root.path().join("etc/pam.d/system-auth")).unwrap();
    match outcome(&run(root.path()), ID) {
        CheckOutcome::CouldNotRun { reason } => {
            assert!(reason.contains("PAM is not configured"), "{reason}")
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn a_preauth_line_alone_never_locks() {
    let (o, ev) = lockout(
        "auth required pam_faillock.so preauth deny=5\nauth [success=1 default=ignore] pam_unix.so\n",
        None,
    );
    assert_eq!(o, CheckOutcome::Findings { count: 1 });
    assert!(
        ev.iter().any(|e| e.contains("failures are never recorded")),
        "{ev:?}"
    );
}
