//! `selfcheck-collector`: see [`selfcheck_collector::cli`].

fn main() -> std::process::ExitCode {
    selfcheck_collector::cli::main_with_args(std::env::args_os())
}
