//! `selfcheck-agent`: see [`selfcheck_agent::cli`].

fn main() -> std::process::ExitCode {
    selfcheck_agent::cli::main_with_args(std::env::args_os())
}
