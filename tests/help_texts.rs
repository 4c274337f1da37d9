//! Every `--help` text of both programs is for people: no rustdoc links or
//! paths leak from the doc comments clap turns into help.

use clap::CommandFactory;

fn rustdoc_leaks(cmd: &mut clap::Command, path: &str, bad: &mut Vec<String>) {
    let help = cmd.render_long_help().to_string();
    for marker in ["[`", "`]", "crate::", "](", "Self::"] {
        if help.contains(marker) {
            bad.push(format!("{path}: {marker}"));
        }
    }
    for sub in cmd.get_subcommands_mut() {
        let name = format!("{path} {}", sub.get_name());
        rustdoc_leaks(sub, &name, bad);
    }
}

#[test]
fn help_texts_hold_no_rustdoc_links() {
    let mut bad = Vec::new();
    for mut cmd in [
        selfcheck_agent::cli::AgentCli::command(),
        selfcheck_collector::cli::CollectorCli::command(),
    ] {
        cmd.build();
        let name = cmd.get_name().to_string();
        rustdoc_leaks(&mut cmd, &name, &mut bad);
    }
    assert!(bad.is_empty(), "{bad:#?}");
}
