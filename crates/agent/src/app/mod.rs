//! The agent's use cases, each assembled once: the full audit into a signed
//! report ([`run`]), the baseline alone ([`baseline`]), the listening sockets
//! ([`ports`]), the package inventory ([`packages`]), the file-integrity
//! baseline and package verification ([`fim`]), delivery to the collector
//! ([`submit`]). The agent CLI and the `selfcheck` umbrella binary both call
//! these; they hand back results and print nothing.

pub mod baseline;
pub mod fim;
pub mod packages;
pub mod ports;
pub mod run;
pub mod submit;
